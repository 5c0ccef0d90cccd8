"""The compute half of a request: the split model, its packets and their real quality.

Prompts are consecutive windows of the corpus (``prompt_tokens`` each, BOS first). The hidden
state at every split point of a window is computed once (llm_split.HiddenStateCache); a request
then costs one tail pass on the hidden state rebuilt from the packets that actually arrived.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch

from cosim.config.checks import ConfigError
from cosim.session.config import SessionConfig, check_layers


@dataclass(frozen=True)
class Quality:
    nll: float          # summed over the window's scored tokens, nats, with the request's damage
    nll_clean: float    # the same window without damage
    n_scored: int
    erased_fraction: float
    next_token: int     # the edge's greedy next token (the reply)

    @property
    def ppl(self) -> float:
        return math.exp(self.nll / self.n_scored)

    @property
    def ppl_clean(self) -> float:
        return math.exp(self.nll_clean / self.n_scored)


@dataclass
class Decoding:
    """One request's decoding state: its window, split point, KV caches and tokens so far."""

    w: int
    k: int
    session: object
    tokens: list = field(default_factory=list)


class SplitInference:
    """Model, codec, windows and cost model of a session.

    Args:
        cfg: the session configuration.
        payload_bytes: UDP payload per packet on the air; the codec's tensor bytes per packet are
            what remains after its header and protected-channel block.
    """

    def __init__(self, cfg: SessionConfig, payload_bytes: int):
        from llm_split.workbench import open_workbench

        m, r = cfg.model, cfg.requests
        wb = open_workbench(m.name, corpus=r.corpus, window=r.prompt_tokens, max_tokens=r.prompt_tokens * r.windows,
                            dtype=m.dtype, device=m.device, cache_dir=m.cache_dir)
        self.load_wall_s = wb.load_wall_s
        self.model_wall_s = 0.0  # wall time of head and tail passes during the session
        self.split, self.evaluator, self.n_layers = wb.split, wb.evaluator, wb.n_layers
        check_layers(cfg.split, self.n_layers, m.name)  # a model whose config.json did not say (llm_split.layers)
        if not wb.windows:
            raise ConfigError(f"requests.corpus: {r.corpus!r} has fewer than {r.prompt_tokens} tokens")
        for i, c in enumerate(m.protect):
            if c >= wb.hidden_size:
                raise ConfigError(f"model.protect[{i}]: {c} is not a channel of {m.name} (0..{wb.hidden_size - 1})")
        try:  # one wire layout with mbrl's real evaluator (llm_split.lossy)
            self.codec = wb.codec(m.wire_dtype, payload_bytes, m.protect, m.fill, m.interleave)
        except ValueError as exc:
            raise ConfigError(f"transfer.{exc}") from None
        self.sink_row = m.sink_row
        self.true_endpoints = cfg.split.true_endpoints
        if self.true_endpoints:  # k = 0 sends ids; the edge embeds what arrived
            from llm_split.wire.ids import IdCodec

            self.ids = IdCodec(lambda ids: self.split.head(ids, 0), payload_bytes, m.fill)
        self.cost = wb.cost_model(cfg.ue_device, cfg.edge_server.device, m.cache_dir)
        self._clean: dict[int, float] = {}
        self._seen: dict[tuple, Quality] = {}
        self._deferred: dict[tuple, list[bytes]] = {}  # key -> packets, for tail passes not yet run
        self.tail_passes = 0
        self._greedy: dict[tuple, list[int]] = {}

    @property
    def n_windows(self) -> int:
        return len(self.evaluator.windows)

    def tokens(self, w: int) -> int:
        return int(self.evaluator.windows[w].ids.numel())

    # ---- the endpoints: what crosses the air at k, and who computes what ----
    def sends_ids(self, k: int) -> bool:
        """True endpoints at k = 0: the UE sends token ids (llm_split.wire.ids)."""
        return self.true_endpoints and k == 0

    def on_ue_only(self, k: int) -> bool:
        """True endpoints at k = L: the UE runs the whole model and nothing crosses the air."""
        return self.true_endpoints and k == self.n_layers

    def wire(self, k: int):
        """The codec of what the UE sends at k: token ids or the hidden state entering layer k."""
        return self.ids if self.sends_ids(k) else self.codec

    def ue_seconds(self, k: int, tokens: int, context: int = 0) -> float:
        """The UE's compute time at k: nothing when it sends ids, the head too when it runs all."""
        if self.sends_ids(k):
            return 0.0
        return self.cost.ue_cost(k, tokens, context, head=self.on_ue_only(k))[0]

    def edge_batch_seconds(self, passes: list[tuple[int, int, int]]) -> float:
        """The edge's time for tail passes (k, tokens, context) run as one batch."""
        return self.cost.edge_batch_seconds([(k, t, c, self.sends_ids(k)) for k, t, c in passes])

    def packets(self, w: int, k: int) -> list[bytes]:
        """The UE's packets for window w split at k: the hidden state entering layer k (the token
        ids with true endpoints at k = 0)."""
        if self.sends_ids(k):
            return self.ids.encode(self.evaluator.windows[w].ids)
        t0 = time.perf_counter()
        hidden = self.evaluator.cache.get(w, k)
        self.model_wall_s += time.perf_counter() - t0
        return self.codec.encode(hidden)

    def local(self, w: int) -> Quality:
        """The whole model on the UE (:meth:`on_ue_only`): the clean quality."""
        nll = self.clean_nll(w)
        return Quality(nll, nll, int(self.evaluator.windows[w].n_scored), 0.0, self.clean_tokens(w, 1)[0])

    def quality(self, w: int, k: int, packets: list[bytes], lost: set[int]) -> Quality:
        """Runs the edge's tail on what arrived and scores the window against clean.

        The result depends only on (window, k, lost packets), so a repeat (e.g. nothing lost,
        or everything) is answered from memory instead of another tail pass."""
        key = (w, k, frozenset(lost))
        if key not in self._seen:
            t0 = time.perf_counter()
            self._seen[key] = self._evaluate(w, k, packets, lost)
            self.model_wall_s += time.perf_counter() - t0
        return self._seen[key]

    def _evaluate(self, w: int, k: int, packets: list[bytes], lost: set[int]) -> Quality:
        return self._evaluate_batch(k, [(w, packets, lost)])[0]

    def _evaluate_batch(self, k: int, items: list[tuple[int, list[bytes], set[int]]]) -> list[Quality]:
        """One tail pass over several damaged windows split at the same k (same token count):
        the lossy-inference step mbrl's real evaluator runs too (llm_split.lossy)."""
        from llm_split.lossy import lossy_batch

        res = lossy_batch(self.evaluator, self.wire(k), k, [(w, lost) for w, _, lost in items],
                          [packets for _, packets, _ in items], self.sink_row)
        self.tail_passes += 1
        return [Quality(r.nll, self.clean_nll(w), r.n_scored, r.erased_fraction, r.next_token)
                for (w, _, _), r in zip(items, res)]

    # ---- quality off the simulated clock's critical path ----
    def defer_quality(self, w: int, k: int, packets: list[bytes], lost: set[int]) -> tuple:
        """Registers the quality of (w, k, lost) for a later :meth:`flush_quality`; returns its key.
        A request's tail pass decides its perplexity, never its timing (the cost model does), so it
        can wait; repeats of a key cost nothing."""
        key = (w, k, frozenset(lost))
        if key not in self._seen:
            self._deferred.setdefault(key, packets)
        return key

    def flush_quality(self, batch: int = 1) -> None:
        """Runs the deferred tail passes, ``batch`` windows of the same k per pass. The default, one,
        gives exactly the numbers of a tail pass per request; larger batches are faster per window
        but round differently (float32: NLLs agree to about 1e-6 relative, not bit for bit)."""
        t0 = time.perf_counter()
        by_k: dict[int, list[tuple]] = {}
        for key in self._deferred:
            by_k.setdefault(key[1], []).append(key)
        for k, keys in sorted(by_k.items()):
            for i in range(0, len(keys), batch):
                chunk = keys[i:i + batch]
                quals = self._evaluate_batch(k, [(w, self._deferred[(w, k, lost)], set(lost)) for w, _, lost in chunk])
                self._seen.update(zip(chunk, quals))
        self._deferred.clear()
        self.model_wall_s += time.perf_counter() - t0

    def quality_of(self, key: tuple) -> Quality:
        """The quality of a key given to :meth:`defer_quality`, once flushed."""
        return self._seen[key]

    # ---- decoding: one hidden vector up and one token id down per new token ----
    def start_decoding(self, w: int, k: int) -> "Decoding":
        """A decoding session for window w split at k; the UE's head prefill fills its KV cache."""
        t0 = time.perf_counter()
        session = self.split.session(k)
        ids = self.evaluator.windows[w].ids.unsqueeze(0)
        self.split.head(ids, k, session)
        self.model_wall_s += time.perf_counter() - t0
        return Decoding(w, k, session)

    def prefill_tail(self, dec: "Decoding", packets: list[bytes], lost: set[int]) -> Quality:
        """The edge's prefill on what arrived, filling its KV cache; quality as for :meth:`quality`."""
        from llm_split.lossy import lossy_step

        t0 = time.perf_counter()
        r = lossy_step(self.evaluator, self.wire(dec.k), dec.w, dec.k, lost, packets, self.sink_row, dec.session)
        q = Quality(r.nll, self.clean_nll(dec.w), r.n_scored, r.erased_fraction, r.next_token)
        dec.tokens.append(q.next_token)
        self.model_wall_s += time.perf_counter() - t0
        return q

    def step_packets(self, dec: "Decoding") -> list[bytes]:
        """The UE's head on the last generated token: the packets of one hidden vector (its id
        with true endpoints at k = 0)."""
        if self.sends_ids(dec.k):
            return self.ids.encode(torch.tensor([dec.tokens[-1]]))
        t0 = time.perf_counter()
        hidden = self.split.head(torch.tensor([[dec.tokens[-1]]]), dec.k, dec.session)[0]
        self.model_wall_s += time.perf_counter() - t0
        return self.codec.encode(hidden.to(torch.float32))

    def step_tail(self, dec: "Decoding", packets: list[bytes], lost: set[int]) -> int:
        """The edge's tail on one received hidden vector; appends and returns the next token."""
        t0 = time.perf_counter()
        hidden, _ = self.wire(dec.k).rebuild(packets, lost)
        logits = self.split.tail(hidden.unsqueeze(0), dec.k, dec.session)[0]
        dec.tokens.append(int(logits[-1].argmax()))
        self.model_wall_s += time.perf_counter() - t0
        return dec.tokens[-1]

    def clean_tokens(self, w: int, n: int) -> list[int]:
        """The unsplit model's greedy continuation of window w (n tokens), for comparison."""
        key = (w, n)
        if key not in self._greedy:
            t0 = time.perf_counter()
            ids = self.evaluator.windows[w].ids.unsqueeze(0)
            out = []
            for _ in range(n):
                nxt = int(self.split.full(ids)[0, -1].argmax())
                out.append(nxt)
                ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
            self._greedy[key] = out
            self.model_wall_s += time.perf_counter() - t0
        return self._greedy[key]

    def clean_nll(self, w: int) -> float:
        """NLL of window w through the unsplit model (the norm and head on the last layer's output)."""
        if w not in self._clean:
            self._clean[w] = self.evaluator.window_nll(w, self.n_layers)
        return self._clean[w]
