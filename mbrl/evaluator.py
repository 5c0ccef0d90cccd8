"""Real evaluations: perplexity of a split model under the packet losses the channel gave.

A *state* is one decision of one UE: the fates of the activation transfer that UE sent right
after the decision time (a probe of exactly the activation's size, so ns-3 met it with the
same packets an activation would have; see :mod:`mbrl.traces`). For a split ``k`` the real
evaluator rebuilds the hidden state entering layer ``k`` of the state's text window from the
packets that arrived, runs the edge's tail and returns the window's perplexity.

Counting. ``RealEvaluator.ppl`` counts every call (``calls``) and times it. The result depends
only on (window, k, lost set); a repeat is answered from memory and counted as ``memo_hits``,
never as a tail pass (``tail_passes``). Only tail passes are real evaluations of the model.

:class:`EvalTable` stores real evaluations of every (state, k) (the oracle's table, computed
once with batched tail passes and cached on disk). :class:`TableEvaluator` serves a learner
from it under the one accounting rule of every learner (its doc): one distinct (window, lost
set, k) is one real evaluation, charged at the measured single-call cost (``cost_s``).
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from llm_split.wire.settings import QUANTIZED


@dataclass(frozen=True)
class EvalConfig:
    """What a real evaluation runs.

    Args:
        model: ``"smollm2-135m"`` (bundled, 30 layers) or a local Hugging Face folder.
        corpus: ``"lee"``, ``"wiki"`` or a text file.
        prompt_tokens: tokens per evaluation window (BOS added in front), >= 8. The activation is
            (prompt_tokens + 1) x hidden values in ``wire_dtype``.
        n_windows: distinct text windows; a state uses window ``state_id % n_windows``.
        wire_dtype: float32, float16, bfloat16, int8 or int4.
        payload_bytes: bytes per packet on the air, codec header included (the scenario's
            ``transfer.payload_bytes``).
        fill: what erased elements become (see llm_split.wire.fill).
        sink_row: the edge restores row 0 (BOS) from its own copy.
        protect: channels repeated in every packet (llm_split.wire.codec); their side block comes out
            of ``payload_bytes`` as in a session (llm_split.lossy.wire_codec).
        interleave: spread the elements over the packets (llm_split.wire.codec), so a lost packet
            erases a scattered share of every token rather than whole tokens.
        device: ``auto``, ``cpu`` or ``cuda`` (llm_split.model.resolve_device; bfloat16 on a GPU).
    """

    model: str = "smollm2-135m"
    corpus: str = "lee"
    prompt_tokens: int = 16
    n_windows: int = 8
    wire_dtype: str = "float16"
    payload_bytes: int = 1200
    fill: str = "zero"
    sink_row: bool = True
    protect: tuple = ()
    interleave: bool = False
    device: str = "cpu"

    def __post_init__(self):
        if not isinstance(self.prompt_tokens, int) or self.prompt_tokens < 8:
            raise ValueError(f"evaluator.prompt_tokens: {self.prompt_tokens!r} must be an integer >= 8")
        if not isinstance(self.n_windows, int) or self.n_windows < 1:
            raise ValueError(f"evaluator.n_windows: {self.n_windows!r} must be an integer >= 1")
        if self.interleave and self.wire_dtype in QUANTIZED:
            raise ValueError("evaluator.interleave: true needs a float evaluator.wire_dtype (float32, float16, "
                             f"bfloat16), not {self.wire_dtype}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"evaluator.device: {self.device!r} is not one of auto, cpu, cuda")

    def identity(self) -> dict:
        """The fields that decide a real evaluation's value; a field added later is left out
        at its default, so tables cached before it existed stay valid."""
        from llm_split.model import device_dtype, resolve_device

        d = asdict(self)
        for later in ("protect", "interleave"):
            if not d[later]:
                d.pop(later)
        d.pop("device")  # what changes the numbers is the weights' dtype on it
        if device_dtype("float32", resolve_device(self.device, "evaluator.device")) != "float32":
            d["model_dtype"] = "bfloat16"
        return d

    def key(self) -> str:
        return hashlib.sha1(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:12]


def activation_layout(cfg: EvalConfig, hidden_size: int = 576) -> tuple[int, int]:
    """(bytes on the air, packets) of one activation: what a probe must send (no model needed)."""
    from llm_split.lossy import wire_codec

    tokens = cfg.prompt_tokens + 1
    codec = wire_codec(hidden_size, cfg.wire_dtype, cfg.payload_bytes, cfg.protect, cfg.fill, tokens,
                       cfg.interleave)
    return codec.wire_bytes(tokens), codec.n_packets(tokens)


class RealEvaluator:
    """Perplexity of window ``w`` split at ``k`` with packets ``lost``, through the real model.

    Attributes:
        n_layers: L (SmolLM2: 30); k ranges over 0..L.
        n_packets: packets per activation.
        calls, tail_passes, memo_hits: counters; wall_s: time spent in tail passes (s).
    """

    def __init__(self, cfg: EvalConfig = EvalConfig()):
        from llm_split import CostModel, Evaluator, SplitModel, load_model, load_text, sliding_windows, tokenize
        from llm_split.lossy import wire_codec

        self.cfg = cfg
        t0 = time.perf_counter()
        model, tok = load_model(cfg.model, "float32", device=cfg.device, field="evaluator.device")
        self.load_s = time.perf_counter() - t0
        self.split = SplitModel(model)
        self.n_layers = self.split.n_layers
        ids = tokenize(load_text(cfg.corpus), tok, max_tokens=cfg.prompt_tokens * cfg.n_windows)
        windows = sliding_windows(ids, cfg.prompt_tokens, cfg.prompt_tokens, tok.bos_token_id)
        windows = [w for w in windows if w.ids.numel() == cfg.prompt_tokens + 1]
        if len(windows) < cfg.n_windows:
            raise ValueError(f"evaluator.n_windows: {cfg.n_windows} windows of {cfg.prompt_tokens} tokens "
                             f"do not fit in corpus {cfg.corpus!r} ({len(windows)} do)")
        self.evaluator = Evaluator(self.split, windows, ks=range(self.n_layers + 1))
        self.hidden_size = int(model.config.hidden_size)
        self.codec = wire_codec(self.hidden_size, cfg.wire_dtype, cfg.payload_bytes, cfg.protect, cfg.fill,
                                cfg.prompt_tokens + 1, cfg.interleave)
        self.n_packets = self.codec.n_packets(cfg.prompt_tokens + 1)
        self.cost = CostModel(model)
        self._clean: dict[int, float] = {}
        self._memo: dict[tuple, float] = {}
        self._packets: dict[tuple[int, int], list[bytes]] = {}
        self.calls = self.tail_passes = self.memo_hits = 0
        self.wall_s = 0.0

    def clean_ppl(self, w: int) -> float:
        """Perplexity of window w through the unsplit model (the reference of the quality term)."""
        if w not in self._clean:
            nll = self.evaluator.window_nll(w, self.n_layers)
            self._clean[w] = math.exp(nll / self.evaluator.windows[w].n_scored)
        return self._clean[w]

    def _packets_of(self, w: int, k: int) -> list[bytes]:
        if (w, k) not in self._packets:
            self._packets[(w, k)] = self.codec.encode(self.evaluator.cache.get(w, k))
        return self._packets[(w, k)]

    def nll(self, w: int, k: int, lost) -> float:
        """NLL (nats, summed over the scored tokens) of window w split at k with ``lost`` erased:
        the shared lossy-inference step (llm_split.lossy), not counted nor memoised."""
        from llm_split.lossy import lossy_step

        return lossy_step(self.evaluator, self.codec, w, k, lost, self._packets_of(w, k), self.cfg.sink_row).nll

    def ppl(self, w: int, k: int, lost) -> float:
        """Perplexity of window ``w`` (0..n_windows-1) split at ``k`` (0..L), packets ``lost`` erased."""
        key = (int(w), int(k), frozenset(int(i) for i in lost))
        self.calls += 1
        if key in self._memo:
            self.memo_hits += 1
            return self._memo[key]
        t0 = time.perf_counter()
        self._memo[key] = math.exp(self.nll(*key) / self.evaluator.windows[key[0]].n_scored)
        self.wall_s += time.perf_counter() - t0
        self.tail_passes += 1
        return self._memo[key]

    def ppl_batch(self, k: int, items: Sequence[tuple[int, frozenset]]) -> list[float]:
        """Perplexities of (window, lost) items at one split ``k`` in one batched tail pass.

        Counted as ``len(items)`` tail passes (each is a real evaluation; batching only shares
        the weight reads)."""
        from llm_split.lossy import lossy_batch

        t0 = time.perf_counter()
        res = lossy_batch(self.evaluator, self.codec, k, items, [self._packets_of(w, k) for w, _ in items],
                          self.cfg.sink_row)
        out = []
        for (w, lost), r in zip(items, res):
            out.append(math.exp(r.nll / r.n_scored))
            self._memo[(int(w), int(k), frozenset(lost))] = out[-1]
        self.wall_s += time.perf_counter() - t0
        self.tail_passes += len(items)
        self.calls += len(items)
        return out

    def single_cost_s(self, repeats: int = 5) -> float:
        """Measured wall time (s) of one unbatched real evaluation (rebuild + tail pass), median."""
        times = []
        for r in range(repeats):
            lost = frozenset(range(r % self.n_packets, self.n_packets, 3))
            t0 = time.perf_counter()
            self.nll(0, r % (self.n_layers + 1), lost)
            times.append(time.perf_counter() - t0)
        return float(np.median(times))

    def counters(self) -> dict:
        return {"calls": self.calls, "tail_passes": self.tail_passes, "memo_hits": self.memo_hits,
                "wall_s": round(self.wall_s, 3)}


@dataclass
class EvalTable:
    """Real perplexities of every (state, k): ``ppl[i, k]``, ``clean[i]`` (unsplit, per state).

    Attributes:
        ppl: float64 (states, L + 1).
        clean: float64 (states,).
        cost_s: measured wall time of one unbatched real evaluation, s.
        build: how the table was built (tail passes, memo hits, wall s).
        ue_s, edge_s: float64 (L + 1,) compute time of the UE's head and the edge's tail at each
            k for one window (llm_split.CostModel, nominal phone and edge-GPU profiles), s.
    """

    ppl: np.ndarray
    clean: np.ndarray
    cost_s: float
    build: dict
    ue_s: np.ndarray
    edge_s: np.ndarray

    @property
    def n_layers(self) -> int:
        return self.ppl.shape[1] - 1

    def save(self, path: Path) -> None:
        np.savez(path, ppl=self.ppl, clean=self.clean, cost_s=self.cost_s, build=json.dumps(self.build),
                 ue_s=self.ue_s, edge_s=self.edge_s)

    @classmethod
    def load(cls, path: Path) -> "EvalTable":
        z = np.load(path)
        return cls(z["ppl"], z["clean"], float(z["cost_s"]), json.loads(str(z["build"])), z["ue_s"], z["edge_s"])

    def subset(self, idx) -> "EvalTable":
        return EvalTable(self.ppl[idx], self.clean[idx], self.cost_s, self.build, self.ue_s, self.edge_s)


# torch threads of every table's tail passes, whoever builds it, so a cached table does not depend on
# the process that happened to build it. Seen: a table built by a process with 2 threads on a loaded
# machine differed from rebuilds with 1 thread (which agree bit for bit) by up to 1e-5 relative in
# 1,510 cells, enough to change the trained agent's choice on 6 of 256 live requests.
TABLE_THREADS = 1


def build_table(evaluator: RealEvaluator, windows: np.ndarray, lost: Sequence[frozenset],
                batch: int = 32, progress: bool = False, executor: str = "serial", workers: int | None = None,
                address: str | None = None) -> EvalTable:
    """Real evaluation of every state (window ``windows[i]``, packets ``lost[i]``) at every k.

    Distinct (window, lost) keys, sorted, are evaluated once at every k, in batches of ``batch``
    consecutive keys per k. ``executor`` (cosim.sweep.executors): ``serial`` runs them here on
    ``evaluator``; ``local`` (a process pool of ``workers``) or ``ray`` (``address``: a cluster)
    runs each (batch, k) as a task, each worker process loading the model of ``evaluator.cfg``
    once. Every tail pass runs with :data:`TABLE_THREADS` torch threads (this process's count is
    restored after). The batches are the same whatever the executor, so the table is too
    (batched tail passes round differently from single ones, so batch composition is what must
    not change).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(TABLE_THREADS)
    try:
        return _build_table(evaluator, windows, lost, batch, progress, executor, workers, address)
    finally:
        torch.set_num_threads(before)


def _build_table(evaluator, windows, lost, batch, progress, executor, workers, address) -> EvalTable:
    n, L = len(lost), evaluator.n_layers
    cost = evaluator.single_cost_s()
    passes0, wall0 = evaluator.tail_passes, evaluator.wall_s
    keys = sorted({(int(w), frozenset(ls)) for w, ls in zip(windows, lost)}, key=lambda x: (x[0], sorted(x[1])))
    batches = [keys[s:s + batch] for s in range(0, len(keys), batch)]
    values: dict[tuple, float] = {}
    if executor == "serial":
        for k in range(L + 1):
            for chunk in batches:
                for key, v in zip(chunk, evaluator.ppl_batch(k, chunk)):
                    values[(key[0], k, key[1])] = v
            if progress:
                print(f"  table k={k}/{L}: {len(keys)} distinct (window, lost) cells", flush=True)
        passes, wall = evaluator.tail_passes - passes0, evaluator.wall_s - wall0
    else:
        from cosim.sweep.executors import map_tasks

        tasks = [(evaluator.cfg, k, chunk) for k in range(L + 1) for chunk in batches]
        report = (lambda i, _: print(f"  table: {i + 1}/{len(tasks)} batches done", flush=True)) if progress else None
        done = map_tasks(_table_batch, tasks, executor, workers, address, TABLE_THREADS,
                         names=[f"table k={k}, keys {chunk[0]}..{chunk[-1]}" for _, k, chunk in tasks],
                         on_result=report)
        for (_, k, chunk), (ppl, _) in zip(tasks, done):
            for key, v in zip(chunk, ppl):
                values[(key[0], k, key[1])] = v
        passes, wall = len(keys) * (L + 1), sum(w for _, w in done)
    ppl = np.array([[values[(int(w), k, frozenset(ls))] for k in range(L + 1)] for w, ls in zip(windows, lost)])
    clean = np.array([evaluator.clean_ppl(int(w)) for w in windows])
    build = {"distinct_cells": len(keys) * (L + 1), "state_k_cells": n * (L + 1),
             "tail_passes": passes, "wall_s": round(wall, 2), "single_cost_s": round(cost, 5)}
    if executor != "serial":
        build["executor"] = executor
    tokens = evaluator.cfg.prompt_tokens + 1
    ue_s = np.array([evaluator.cost.ue_cost(k, tokens)[0] for k in range(L + 1)])
    edge_s = np.array([evaluator.cost.edge_cost(k, tokens)[0] for k in range(L + 1)])
    return EvalTable(ppl, clean, cost, build, ue_s, edge_s)


_WORKER_EVALUATORS: dict[EvalConfig, RealEvaluator] = {}  # a worker process's model, loaded once


def _table_batch(task: tuple[EvalConfig, int, list]) -> tuple[list[float], float]:
    """One batch of :func:`build_table` in a worker: (perplexities, tail-pass wall s)."""
    cfg, k, chunk = task
    if cfg not in _WORKER_EVALUATORS:
        _WORKER_EVALUATORS[cfg] = RealEvaluator(cfg)
    ev = _WORKER_EVALUATORS[cfg]
    wall0 = ev.wall_s
    return ev.ppl_batch(k, chunk), ev.wall_s - wall0


class TableEvaluator:
    """One learner's real evaluations, served from an :class:`EvalTable` and paid through its
    :class:`mbrl.ledger.Ledger` (``ledger``), the one rule of both agent experiments (issue 28):

    - a real evaluation is one distinct (window, lost packets, k) tail pass: a deterministic
      question, paid the first time the learner asks it (``real_evals``), charged the table's
      measured single-evaluation cost (an estimate: the table was built in batches);
    - a repeat (the same key, asked by any part of the same learner: training steps, checkpoint
      choice, validation) is answered from the ledger at no charge;
    - an intact activation (no packet lost) is free for every learner: it rebuilds the clean
      hidden state (up to the wire dtype), so its answer is the clean perplexity, Q = 0.

    Each paid question is entered under the current ``purpose`` (:meth:`paying_for`; default
    ``training_step``). ``lookups`` counts every question. ``dec`` gives each state's window and
    lost set; without it every state is its own key (one evaluation per distinct (state, k)),
    for tables without traces behind them. ``ledger``: pay into this one (several tables, one
    payer) instead of a new one. ``scoring``: the held-out data's guard
    (mbrl.ledger.ScoringData of held-out trace run names): every paid question names its state's
    trace run as its source, and one from a held-out run is refused (mbrl.ledger.ScoringLeak).
    """

    measured = False  # seconds are estimates (count x the measured single-call cost)

    def __init__(self, table: EvalTable, dec=None, learner: str = "learner", scoring=None, ledger=None):
        from .ledger import Ledger

        self.table, self.dec = table, dec
        self.ledger = ledger or Ledger(learner, scoring)  # ``ledger``: one shared with other tables
        self.purpose = "training_step"
        self.lookups = 0

    @property
    def n_layers(self) -> int:
        return self.table.n_layers

    @property
    def real_evals(self) -> int:
        return len(self.ledger.entries)  # every question is charged 1

    @property
    def charged_s(self) -> float:
        """Estimated wall time of the paid evaluations: count x measured single-call cost."""
        return self.real_evals * self.table.cost_s

    @property
    def memo(self):
        """The paid questions and their perplexities (read-only)."""
        return self.ledger.answers

    @contextmanager
    def paying_for(self, purpose: str):
        """Questions asked inside are entered under ``purpose`` (mbrl.ledger.PURPOSES)."""
        before, self.purpose = self.purpose, purpose
        try:
            yield self
        finally:
            self.purpose = before

    def key(self, state: int, k: int) -> tuple | None:
        """What a real evaluation of (state, k) is a function of; None for an intact state."""
        if self.dec is None:
            return (int(state), int(k))
        lost = self.dec.lost[state]
        return (int(self.dec.window[state]), frozenset(lost), int(k)) if lost else None

    def ppl(self, state: int, k: int) -> float:
        self.lookups += 1
        key = self.key(state, k)
        if key is None:
            return self.clean(state)
        return self.ledger.ask(key, self.purpose, lambda: self._answer(state, key), source=self._source(state),
                               **self._charge())

    def _answer(self, state: int, key: tuple) -> float:
        return float(self.table.ppl[state, key[-1]])

    def _charge(self) -> dict:
        return {"estimate_s": self.table.cost_s}

    def _source(self, state: int):
        if self.ledger.scoring is None or self.dec is None or not self.dec.trace:
            return None
        return self.dec.trace[int(self.dec.trace_id[state])]

    def known(self, state: int, k: int) -> bool:
        """Whether (state, k) is answered without a new charge."""
        key = self.key(state, k)
        return key is None or self.ledger.known(key)

    def clean(self, state: int) -> float:
        return float(self.table.clean[state])


class MeasuredLedger(TableEvaluator):
    """The same rule as :class:`TableEvaluator`, but each paid evaluation is a real tail pass of
    ``real`` (a :class:`RealEvaluator`, or anything with ``ppl(window, k, lost)``), timed by the
    ledger where it runs: measured seconds, nothing estimated (``charged_s`` 0, ``measured``
    true); ``real_s``: the seconds spent in the passes."""

    measured = True

    def __init__(self, table: EvalTable, dec, real, learner: str = "learner", scoring=None):
        super().__init__(table, dec, learner, scoring)
        self.real = real

    @property
    def charged_s(self) -> float:
        return 0.0

    @property
    def real_s(self) -> float:
        return self.ledger.totals()["all"]["measured_s"]

    def _answer(self, state: int, key: tuple) -> float:
        return float(self.real.ppl(key[0], key[2], key[1]))

    def _charge(self) -> dict:
        return {}
