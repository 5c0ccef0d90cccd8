"""Split inference over the air: requests on the UEs, activations through ns-3, a shared edge.

Per UE, requests arrive (Poisson or listed times). Each one:

1. waits for the UE (one request at a time per UE) and the policy picks k;
2. the UE computes the head (time from the cost model's UE profile, plus the switching cost
   when k changed);
3. the activation packets go uplink through ns-3 (real UDP packets, RLC, MAC, PHY);
4. when every packet's fate is known, or at the deadline, the edge rebuilds the hidden state
   (lost or late packets erase their elements), queues for the edge server (FIFO, shared by all
   UEs) and runs the tail (time from the edge profile; quality from a real tail pass);
5. the reply (the generated token id) goes downlink through ns-3.

With ``split.true_endpoints``, k = 0 sends the token ids (the edge embeds them; lost ones are sent
again, then erased) and k = L runs the whole model on the UE, with no transfer at all.
With ``decode_tokens``, steps 2-5 repeat for each new token (one hidden vector up, one id down).
A request's record keeps its time to the first token (the first round) with that round's parts, its
inter-token latency (the later rounds) and whether it met the latency targets; its UE energy is
the UE's compute (profile power x compute time) and its radio, charged once the run has ended
from the slot and packet traces (cosim.session.energy).

Each finished request is one row of ``requests.parquet`` (fields in :data:`REQUEST_FIELDS`),
streamed to its journal the moment it finishes (:class:`RequestWriter`), so a killed run keeps it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import simpy

from cosim.bridge.netclock import NetworkClock
from cosim.session.edge import EdgeServer
from cosim.session.energy import RadioMeter
from cosim.session.policies import SplitPolicy, UeState, make_policy, takes_state
from cosim.run.estimate import check_session
from cosim.config.checks import DERIVED, settings
from cosim.run.rundir import RunRecord, new_run_dir
from cosim.radio.registry import run_facts
from cosim.run.selfcheck import run_warnings
from cosim.radio.scenario import ProgramScenario, load_any, resolved, start_simulation
from cosim.radio.lte.schema import Scenario
from cosim.session.config import SECTIONS, SessionConfig, parse_session
from cosim.outputs.traces import REQUESTS_FILE, KeyedJournal, TraceWriter

if TYPE_CHECKING:  # torch: imported only by runs that use the model
    from cosim.session.inference import SplitInference

REPLY_BYTES_PER_TOKEN = 4  # a token id
_NO_QUALITY = SimpleNamespace(erased_fraction=np.nan, nll=np.nan, nll_clean=np.nan, ppl=np.nan, ppl_clean=np.nan,
                              n_scored=0)  # a deferred request's, until resolve_quality


@dataclass
class RequestRecord:
    """One request (times in seconds of simulated time; sizes in bytes)."""

    request: int            # id, in arrival order over all UEs
    ue: int
    window: int             # corpus window used as the prompt
    tokens: int             # prompt tokens (BOS included)
    k: int                  # split point: layers [0, k) ran on the UE
    t_arrival_s: float
    payload_bytes: int      # bytes sent uplink, prompt and decoding (codec packet headers included)
    packets: int            # uplink packets, prompt and decoding
    packets_lost: int       # of those, lost by ns-3 or past the deadline
    ue_wait_s: float        # waiting for the UE (busy with another request); parts sum over all steps
    ue_compute_s: float     # head compute (+ switching cost)
    uplink_s: float         # from the UE's send to the last fate (or the deadline)
    queue_s: float          # waiting for the edge server
    edge_compute_s: float
    downlink_s: float
    latency_s: float        # arrival to reply received = the sum of the six parts above
    ttft_s: float           # time to the first token: arrival to the prefill's reply received
    ttft_ue_s: float        # its parts: waiting for the UE and its compute,
    ttft_uplink_s: float    # the prompt's uplink,
    ttft_edge_s: float      # the edge's queue and compute,
    ttft_downlink_s: float  # and the first token's downlink
    itl_s: float            # inter-token latency: mean gap between the reply tokens after the first
                            # (requests.decode_tokens of them); NaN without decoding
    met_target: float       # 1 when the request met requests.ttft_target_ms and itl_target_ms with
                            # every reply token received, else 0; NaN when neither target is set
    ue_compute_j: float     # the UE's compute energy: ue_compute_s x the UE profile's power
    ue_radio_j: float       # the UE radio's energy charged to the request (cosim.session.energy);
                            # NaN when the run stopped before that account was made
    erased_fraction: float  # of the prompt's hidden-state elements
    nll: float              # nats, summed over the window's scored tokens, under the damage
    nll_clean: float
    ppl: float
    ppl_clean: float
    scored_tokens: int
    new_tokens: int         # tokens decoded after the prompt (requests.decode_tokens)
    token_match: float      # fraction of the generated tokens (the prefill's reply and the new ones)
                            # equal to the unsplit model's greedy ones; NaN without decoding
    reply_lost: bool        # a reply token id was lost or late
    handovers: int          # the UE's handovers that overlapped the request (arrival to reply)
    resent_packets: int     # uplink packets sent again: after a handover (requests.resend_after_handover),
                            # or lost token ids (split.true_endpoints at k = 0, requests.id_resends)
    ue_queue: int           # when the policy chose k (cosim.session.policies.UeState): the UE's requests
                            # waiting behind this one,
    edge_load: float        # the edge server's passes in service and waiting per server,
    battery_left: float     # and the share of ue_battery_j left (NaN without a budget)
    quality_pending: bool = False  # quality (erased_fraction .. scored_tokens) not computed yet: a deferred
                                   # batch the run did not reach (killed); those fields hold NaN / 0


REQUEST_FIELDS = tuple(RequestRecord.__dataclass_fields__)


class SplitSession:
    """The simpy processes of one session, run against a live ns-3 program."""

    def __init__(self, env: simpy.Environment, clock: NetworkClock, infer: SplitInference,
                 cfg: SessionConfig, policy: SplitPolicy, n_ues: int, seed: int, batch_quality: bool = False,
                 writer: RequestWriter | None = None, meter: RadioMeter | None = None):
        self.env, self.clock, self.infer, self.cfg, self.policy = env, clock, infer, cfg, policy
        self._policy_takes_state = takes_state(policy)
        self.meter = meter  # each UE's radio energy so far, fed by the run's trace hook
        self.compute_j = np.zeros(n_ues)  # each UE's compute energy so far
        self._writer = writer  # each record goes to disk as it is made, and again once its quality is known
        self.edge = EdgeServer(env, cfg.edge_server.capacity, cfg.edge_server.max_batch, infer.edge_batch_seconds)
        self.ue_busy = [simpy.Resource(env, capacity=1) for _ in range(n_ues)]
        self.current_k: list[int | None] = [None] * n_ues
        self.records: list[RequestRecord] = []
        self._rng = np.random.default_rng(seed)
        self._next_id = 0
        self._deadline_s = None if cfg.requests.deadline_ms is None else cfg.requests.deadline_ms / 1000
        # batch_quality: a request's quality (not its timing) comes from deduplicated, batched tail
        # passes after the fact (resolve_quality); its record holds NaN until then
        self._batch_quality = batch_quality
        self._unresolved: list[tuple[RequestRecord, tuple]] = []

    def start(self, duration_s: float) -> None:
        for ue in range(len(self.ue_busy)):
            self.env.process(self._arrivals(ue, duration_s))

    def _arrival_times(self, duration_s: float) -> list[float]:
        r = self.cfg.requests
        if r.times_s:
            return [t for t in r.times_s if t < duration_s]
        times, t = [], 0.0
        while True:
            t += float(self._rng.exponential(1.0 / r.rate_per_s))
            if t >= duration_s:
                return times
            times.append(t)

    def _arrivals(self, ue: int, duration_s: float):
        for t in self._arrival_times(duration_s):
            yield self.env.timeout(t - self.env.now)
            self.submit(ue)

    def submit(self, ue: int) -> simpy.Process:
        """Starts one request of UE ``ue`` now, on a prompt window drawn at random; the process
        ends when its RequestRecord has been appended to ``records``."""
        rid, self._next_id = self._next_id, self._next_id + 1
        window = int(self._rng.integers(self.infer.n_windows))
        return self.env.process(self._request(rid, ue, window))

    def _request(self, rid: int, ue: int, w: int):
        env, infer, n_new = self.env, self.infer, self.cfg.requests.decode_tokens
        # the six latency parts, and the packets resent (also a record field)
        parts = dict.fromkeys(("ue_wait_s", "ue_compute_s", "uplink_s", "queue_s", "edge_compute_s", "downlink_s"), 0.0)
        parts["resent_packets"] = 0
        t0, tokens = env.now, infer.tokens(w)
        k = yield from self._on_ue(ue, parts, lambda k: infer.ue_seconds(k, tokens))
        rounds = self._on_the_ue if infer.on_ue_only(k) else self._over_the_air
        q, (up_bytes, up_packets, up_lost), reply_lost, first, match = yield from rounds(ue, w, k, parts, t0)
        deferred, q = (q, _NO_QUALITY) if isinstance(q, tuple) else (None, q)
        itl = (env.now - t0 - first["ttft_s"]) / n_new if n_new else np.nan
        self.records.append(RequestRecord(
            rid, ue, w, tokens, k, t0, up_bytes, up_packets, up_lost, **parts, latency_s=env.now - t0, **first,
            itl_s=itl, met_target=self._met_target(first["ttft_s"], itl, reply_lost),
            ue_compute_j=parts["ue_compute_s"] * infer.cost.ue_device.power_w, ue_radio_j=np.nan,
            erased_fraction=q.erased_fraction, nll=q.nll, nll_clean=q.nll_clean, ppl=q.ppl, ppl_clean=q.ppl_clean,
            scored_tokens=q.n_scored, new_tokens=n_new, token_match=match, reply_lost=reply_lost,
            handovers=self.clock.handovers_during(ue, t0, env.now), quality_pending=deferred is not None))
        self._write([self.records[-1]])
        if deferred is not None:
            self._unresolved.append((self.records[-1], deferred))
            if len(self._unresolved) >= 64:  # bounds the packets kept for deferred passes
                self.resolve_quality()

    def _over_the_air(self, ue: int, w: int, k: int, parts: dict, t0: float):
        """The prompt's round (its head already timed) and each new token's: packets up through
        ns-3, the edge's tail, the token id down. Returns (quality or its deferred key, (uplink
        bytes, packets, lost), reply lost, the first token's times, token match)."""
        env, infer, n_new = self.env, self.infer, self.cfg.requests.decode_tokens
        tokens, resends = infer.tokens(w), self.cfg.requests.id_resends if infer.sends_ids(k) else 0
        dec = infer.start_decoding(w, k) if n_new else None
        packets = infer.packets(w, k)
        lost = yield from self._send(ue, packets, parts, resends)
        up_bytes, up_packets, up_lost = sum(map(len, packets)), len(packets), len(lost)
        yield from self._on_edge(parts, (k, tokens, 0))
        if dec:  # decoding needs the tail's KV cache and token now
            q = infer.prefill_tail(dec, packets, lost)
        elif self._batch_quality:
            q = infer.defer_quality(w, k, packets, lost)
        else:
            q = infer.quality(w, k, packets, lost)
        reply_lost = yield from self._reply(ue, parts)
        first = self._first_token(parts, env.now - t0)
        for i in range(n_new):  # each new token: head on the UE, one vector up, tail, its id down
            yield from self._on_ue(ue, parts, lambda k: infer.ue_seconds(k, 1, tokens + i), k)
            step = infer.step_packets(dec)
            step_lost = yield from self._send(ue, step, parts, resends)
            up_bytes, up_packets, up_lost = up_bytes + sum(map(len, step)), up_packets + len(step), up_lost + len(step_lost)
            yield from self._on_edge(parts, (k, 1, tokens + i))
            infer.step_tail(dec, step, step_lost)
            reply_lost |= yield from self._reply(ue, parts)
        match = float(np.mean(np.equal(dec.tokens[:n_new + 1], infer.clean_tokens(w, n_new + 1)))) if dec else np.nan
        return q, (up_bytes, up_packets, up_lost), reply_lost, first, match

    def _on_the_ue(self, ue: int, w: int, k: int, parts: dict, t0: float):
        """The whole model on the UE (true endpoints, k = L): the prompt's pass is timed already,
        each new token is one more pass there; nothing crosses the air and nothing is damaged.
        Returns what :meth:`_over_the_air` does."""
        infer, n_new = self.infer, self.cfg.requests.decode_tokens
        first = self._first_token(parts, self.env.now - t0)
        for i in range(n_new):
            yield from self._on_ue(ue, parts, lambda k: infer.ue_seconds(k, 1, infer.tokens(w) + i), k)
        return infer.local(w), (0, 0, 0), False, first, 1.0 if n_new else np.nan

    @staticmethod
    def _first_token(parts: dict, ttft_s: float) -> dict:
        """The time to the first token and its parts: the latency parts so far (the prefill's round)."""
        return {"ttft_s": ttft_s, "ttft_ue_s": parts["ue_wait_s"] + parts["ue_compute_s"],
                "ttft_uplink_s": parts["uplink_s"], "ttft_edge_s": parts["queue_s"] + parts["edge_compute_s"],
                "ttft_downlink_s": parts["downlink_s"]}

    def _met_target(self, ttft_s: float, itl_s: float, reply_lost: bool) -> float:
        r = self.cfg.requests
        if r.ttft_target_ms is None and r.itl_target_ms is None:
            return np.nan
        late = (r.ttft_target_ms is not None and ttft_s > r.ttft_target_ms / 1000
                or r.itl_target_ms is not None and itl_s > r.itl_target_ms / 1000)  # NaN itl: no decoding, never late
        return float(not late and not reply_lost)

    def resolve_quality(self) -> None:
        """Fills in the deferred qualities: each distinct (window, k, lost set) once, batched by k."""
        if not self._unresolved:
            return
        self.infer.flush_quality()
        for rec, key in self._unresolved:
            q = self.infer.quality_of(key)
            rec.erased_fraction, rec.nll, rec.nll_clean = q.erased_fraction, q.nll, q.nll_clean
            rec.ppl, rec.ppl_clean, rec.scored_tokens = q.ppl, q.ppl_clean, q.n_scored
            rec.quality_pending = False
        self._write([rec for rec, _ in self._unresolved])  # these rows replace the pending ones
        self._unresolved.clear()

    def _write(self, records: list[RequestRecord]) -> None:
        if self._writer is not None:
            self._writer.write(records)

    def _on_ue(self, ue: int, parts: dict, seconds, k: int | None = None):
        """Waits for the UE and computes seconds(k); without k, the policy chooses it first."""
        t0 = self.env.now
        with self.ue_busy[ue].request() as turn:
            yield turn
            parts["ue_wait_s"] += self.env.now - t0
            switch = 0.0
            if k is None:
                state = self.ue_state(ue)
                parts.update(ue_queue=state.queue, edge_load=state.edge_load, battery_left=state.battery_left)
                extra = {"state": state} if self._policy_takes_state else {}
                k = int(self.policy.choose(ue, self.clock.recent_slots(ue), self.current_k[ue],
                                           self.clock.recent_packets(ue), **extra))
                if self.current_k[ue] is not None:
                    switch = abs(k - self.current_k[ue]) * self.cfg.split.switch_cost_ms_per_layer / 1000
                self.current_k[ue] = k
            t1 = self.env.now
            yield self.env.timeout(seconds(k) + switch)
            parts["ue_compute_s"] += self.env.now - t1
            self.compute_j[ue] += (self.env.now - t1) * self.infer.cost.ue_device.power_w
        return k

    def ue_state(self, ue: int) -> UeState:
        """What UE ``ue`` knows now besides its channel."""
        energy = self.compute_j[ue] + (self.meter.joules[ue] if self.meter is not None else np.nan)
        budget = self.cfg.ue_battery_j
        return UeState(len(self.ue_busy[ue].queue), self.edge.load, float(energy),
                       1.0 - energy / budget if budget else np.nan)

    def _send(self, ue: int, packets: list[bytes], parts: dict, resends: int = 0):
        """Carries packets uplink through ns-3, sending the lost ones again up to ``resends``
        times; returns the indices lost or past the deadline."""
        t0 = self.env.now
        up = self.clock.send(ue, sum(map(len, packets)), max(map(len, packets)), uplink=True)
        yield from self._wait(up)
        lost = self._lost_or_late(up)
        if lost and self.cfg.requests.resend_after_handover and self.clock.handovers_during(ue, t0, self.env.now):
            lost = yield from self._resend(ue, up, sorted(lost), max(map(len, packets)), parts)
        for _ in range(resends):
            if not lost:
                break
            lost = yield from self._resend(ue, up, sorted(lost), max(map(len, packets)), parts)
        parts["uplink_s"] += self.env.now - t0
        return lost

    def _resend(self, ue: int, up, lost: list[int], payload: int, parts: dict):
        """Sends the lost packets of ``up`` again (full-size); their new fates replace the old ones,
        still judged against the first send's deadline. Returns the indices still lost or late."""
        again = self.clock.send(ue, len(lost) * payload, payload, uplink=True)
        yield from self._wait(again)
        for j, i in enumerate(lost):
            up.arrival_s[i] = again.arrival_s.get(j)
        parts["resent_packets"] += len(lost)
        return self._lost_or_late(up)

    def _on_edge(self, parts: dict, tail: tuple[int, int, int]):
        """The tail pass (k, tokens, context) on the shared edge: its wait, then its batch's time."""
        t0 = self.env.now
        start, end = yield from self.edge.run(tail)
        parts["queue_s"] += start - t0
        parts["edge_compute_s"] += end - start

    def _reply(self, ue: int, parts: dict):
        """The generated token id, downlink; returns True when it was lost or late."""
        t0 = self.env.now
        down = self.clock.send(ue, REPLY_BYTES_PER_TOKEN, REPLY_BYTES_PER_TOKEN, uplink=False)
        yield from self._wait(down)
        parts["downlink_s"] += self.env.now - t0
        return bool(self._lost_or_late(down))

    def _wait(self, transfer):
        if self._deadline_s is None:
            yield transfer.done
        else:
            yield transfer.done | self.env.timeout(self._deadline_s)

    def _lost_or_late(self, transfer) -> set[int]:
        """Indices of the packets lost or arrived after the deadline (llm_split's one rule)."""
        from llm_split.damage.models import lost_from_fates  # torch: cell runs import this module too

        due = None if self._deadline_s is None else transfer.issued_s + self._deadline_s + 1e-12
        return lost_from_fates([transfer.arrival_s.get(i) for i in range(transfer.n_packets)], due)


def request_schema():
    """The Arrow schema of requests.parquet: RequestRecord's fields (float64, int64, bool)."""
    import pyarrow as pa

    kinds = {"float": pa.float64(), "bool": pa.bool_(), "int": pa.int64()}
    return pa.schema([(f, kinds[RequestRecord.__annotations__[f]]) for f in REQUEST_FIELDS])


class RequestWriter:
    """requests.parquet of a run folder, written as requests finish (cosim.outputs.traces.KeyedJournal,
    keyed by the request id: a record written again, with its deferred quality, replaces the first)."""

    def __init__(self, run_dir: Path):
        self._schema = request_schema()
        self._journal = KeyedJournal(Path(run_dir) / REQUESTS_FILE, self._schema, key="request")

    def write(self, records: list[RequestRecord]) -> None:
        import pyarrow as pa

        if records:
            self._journal.write(pa.table({f: [getattr(r, f) for r in records] for f in REQUEST_FIELDS},
                                         schema=self._schema))

    def close(self) -> None:
        self._journal.close()


def run_session(sc: Scenario | ProgramScenario, cfg: SessionConfig, run_dir: Path, progress: bool = True,
                event_grants: bool = True, batch_quality: bool = True) -> dict:
    """Runs the scenario with split inference; writes traces and requests.parquet into run_dir.
    ``event_grants=False``: one grant per slot while transfers fly (same traces; see cosim.bridge.netclock)."""
    from tqdm import tqdm

    from cosim.session.inference import SplitInference  # torch: imported only by runs that use the model

    infer = SplitInference(cfg, sc.transfer.payload_bytes)  # model loading happens before ns-3 starts
    policy = make_policy(cfg.split, infer.n_layers)
    env = simpy.Environment()
    session = requests = None
    timing = {}
    t_start = time.perf_counter()
    try:
        requests = RequestWriter(run_dir)
        with TraceWriter(run_dir) as traces, \
                start_simulation(sc, run_dir) as sim, \
                tqdm(total=round(sc.duration_s * 1000), unit="sim-ms", disable=not progress, desc=sc.name) as bar:
            meter = RadioMeter(sc.ue_count, cfg.ue_radio)

            def on_records(slots, events):
                traces.write(slots, events)
                meter.add(slots, events)
                bar.update(min(round(sim.now_ns / 1e6), bar.total) - bar.n)

            traces.follow(sim)  # records read before a stop or a crash reach the traces too
            clock = NetworkClock(env, sim, sc.ue_count, sc.duration_s, on_records=on_records,
                                 event_grants=event_grants)
            session = SplitSession(env, clock, infer, cfg, policy, sc.ue_count, sc.seed, batch_quality, requests, meter)
            session.start(sc.duration_s)
            clock.run()
            timing = {"ns3_s": sim.busy_s, "bridge_s": clock.advance_wall_s - sim.busy_s, "grants": clock.grants}
        checked = run_warnings(sc, traces.tally)  # after close: the leftovers are tallied too
        session.resolve_quality()
        radio = radio_account(run_dir, session.records, cfg.ue_radio)
        requests.write(session.records)  # every row again, with its radio energy
    finally:
        try:
            if session is not None:
                session.resolve_quality()  # rewrites the pending rows with their quality
        finally:
            if requests is not None:
                requests.close()  # the journal becomes requests.parquet
    timing.update(model_s=infer.model_wall_s, model_load_s=infer.load_wall_s, tail_passes=infer.tail_passes,
                  session_wall_s=time.perf_counter() - t_start)
    return {"requests": len(session.records), "timing": timing, "warnings": checked, "ue_radio_j": radio}


def radio_account(run_dir: Path, records: list[RequestRecord], model) -> dict[str, dict]:
    """Charges the UE radio's energy to the requests (cosim.session.energy); returns each UE's
    totals by state for meta.json, in joules."""
    from cosim.session.energy import charge_run

    return {str(ue): {"total": round(a.total_j, 6), "uncharged": round(a.uncharged_j, 6),
                      "transmitting": round(a.transmitting_j, 6), "connected": round(a.connected_j, 6),
                      "idle": round(a.idle_j, 6), "promotion": round(a.promotion_j, 6)}
            for ue, a in charge_run(run_dir, records, model).items()}


def is_session_file(path) -> bool:
    """True when the YAML file has split-inference sections (else it is a plain cell scenario)."""
    from cosim.run.dispatch import peek

    raw = peek(path)  # None: let the scenario loader report it
    return isinstance(raw, dict) and any(k in raw for k in SECTIONS if k != "probes")


def saved_config(sc: Scenario | ProgramScenario, cfg: SessionConfig) -> dict:
    """The run's config.yaml: the cell's and the session's settings after defaults (it runs again
    as it is) and, last, what the cell's settings resolved to."""
    cell = resolved(sc)
    derived = {DERIVED: cell.pop(DERIVED)} if DERIVED in cell else {}  # a program scenario has none
    return {**cell, **settings(asdict(cfg)), **derived}


def run_session_file(path, out=None, seed=None, progress: bool = True, overrides: dict | None = None,
                     event_grants: bool = True, batch_quality: bool = True) -> Path:
    """Validates the YAML (cell + split-inference sections), runs it, returns the run folder.

    ``overrides`` maps dotted keys of the cell's sections to values (see cosim.radio.lte.schema.load_scenario)."""
    overrides = dict(overrides or {})
    if seed is not None:
        overrides["seed"] = seed
    sc = load_any(path, overrides=overrides, extra_sections=SECTIONS)
    cfg = parse_session(sc.extra)
    check_session(sc, cfg)  # refuses a run that cannot finish in reasonable time or memory
    run_dir = new_run_dir(out, sc.name)
    record = RunRecord(run_dir, saved_config(sc, cfg), sc.seed, run_facts(sc))
    try:
        counts = run_session(sc, cfg, run_dir, progress, event_grants, batch_quality)
    except BaseException as exc:
        record.finish(exc)
        raise
    record.finish(**counts)
    return run_dir

