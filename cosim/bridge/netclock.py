"""One clock for simpy and ns-3: simpy never runs ahead of what ns-3 has simulated.

ns-3 owns radio time; simpy models compute and queues. The loop in :meth:`NetworkClock.run`:

1. simpy has processed every event before T, the time ns-3 has reached;
2. the transfers simpy asked for since the last grant go to ns-3 as commands, executed at T
   (ns-3 acts on commands at slot boundaries: a send waits at most one 1 ms TTI, as it would
   for the next uplink grant);
3. ns-3 is granted up to H, the slot boundary after simpy's next event (at most ``max_step_ms``
   ahead). While transfers are in flight the grant carries a stop-on-done command: ns-3 then
   returns at the first slot boundary after any transfer's last packet fate (ns3_scenarios/common/
   cosim-clock.h), since the simpy process waiting for it may answer at once. H' <= H is where it
   stopped;
4. each packet fate from ns-3 becomes a simpy event at its receive time (a loss at the time ns-3
   decided it, i.e. by H'), slot records go to per-UE histories, both go to the traces;
5. simpy runs up to H'.

Why the traces equal those of one-slot grants (``event_grants=False``, what this clock did
before, kept to check it; tests/cosim/bridge/test_event_grants.py): commands only enter ns-3 at grant
boundaries, and a simpy event at time t can only issue commands that go out at the boundary
after t. Every such boundary is still a grant boundary: simpy's own events are known in advance
(the horizon), and events caused by ns-3 (a transfer's last fate) end the grant at that boundary.
Policies see the same history: at most one grant of slots after the decision's own slot, as before.

Times: simpy's clock is in seconds (float); ns-3 grants are integer nanoseconds on 1 ms slots.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

import numpy as np
import simpy

from cosim.bridge.launcher import (CMD_DOWNLINK, CMD_UPLINK, COMMAND_DTYPE, EVENT_DTYPE, HANDOVER_START, SLOT_DTYPE,
                                   Simulation, split_events)

NS = 1_000_000_000
SLOT_NS = 1_000_000
CMD_STOP_ON_DONE = 8  # kCmdStopOnDone in ns3_scenarios/common/cosim-clock.h: end the grant after a transfer's last fate


@dataclass
class Transfer:
    """One transfer through ns-3 and the fates of its packets (filled as they arrive)."""

    tag: int
    ue: int
    uplink: bool
    n_packets: int
    issued_s: float
    sent_s: float | None = None                     # when ns-3 started it (a slot boundary)
    arrival_s: dict[int, float | None] = field(default_factory=dict)  # packet -> receive time, None = lost
    done: simpy.Event | None = None                 # all fates known

    @property
    def complete(self) -> bool:
        return len(self.arrival_s) == self.n_packets


class NetworkClock:
    """Joins a simpy Environment to a running ns-3 program (a :class:`cosim.Simulation`).

    Args:
        env: the simpy environment (time in seconds).
        sim: the running ns-3 program.
        n_ues: UEs in the scenario.
        duration_s: simulated time to run.
        history_slots: slot records kept per UE for policies (most recent last).
        history_packets: uplink packet fates kept per UE for policies.
        on_records: optional callable(slots, events) for each batch (e.g. a TraceWriter's write).
        max_step_ms: longest grant.
        event_grants: grants end at simpy's next event or a transfer's last fate (default); False:
            one slot per grant while a transfer is in flight (the old way, same traces, for checks).
    """

    def __init__(self, env: simpy.Environment, sim: Simulation, n_ues: int, duration_s: float,
                 history_slots: int = 200, history_packets: int = 500, on_records=None, max_step_ms: int = 50,
                 event_grants: bool = True):
        self.env, self.sim = env, sim
        self.end_ns = int(round(duration_s * NS))
        self.history = [collections.deque(maxlen=history_slots) for _ in range(n_ues)]
        self.packet_history = [collections.deque(maxlen=history_packets) for _ in range(n_ues)]
        # per UE, each handover's [start, end] in s (end None while it lasts), last ones only
        self.handover_spans = [collections.deque(maxlen=64) for _ in range(n_ues)]
        self._on_records = on_records
        self._max_step_ns = max_step_ms * SLOT_NS
        self._event_grants = event_grants
        self._pending: list[tuple[Transfer, int, int]] = []  # (transfer, bytes, payload) to send
        self._in_flight: dict[int, Transfer] = {}
        self._next_tag = 1
        self.now_ns = 0
        self.grants = 0
        self.advance_wall_s = 0.0  # wall time inside sim.advance: ns-3's own work plus the bridge

    # ---- used by simpy processes ----
    def send(self, ue: int, nbytes: int, payload_bytes: int, uplink: bool = True) -> Transfer:
        """Asks ns-3 to carry ``nbytes`` in UDP packets of ``payload_bytes`` (uplink: UE -> edge).
        Yield ``transfer.done`` to wait for every packet's fate."""
        if nbytes < 1 or payload_bytes < 1:
            raise ValueError(f"send: nbytes ({nbytes}) and payload_bytes ({payload_bytes}) must be >= 1")
        n = -(-nbytes // payload_bytes)
        t = Transfer(self._next_tag, ue, uplink, n, self.env.now, done=self.env.event())
        self._next_tag += 1
        self._pending.append((t, nbytes, payload_bytes))
        return t

    def recent_slots(self, ue: int) -> np.ndarray:
        """The UE's most recent slot records (SLOT_DTYPE), oldest first; only slots before now."""
        h = self.history[ue]
        return np.concatenate(list(h)) if h else np.empty(0, SLOT_DTYPE)

    def recent_packets(self, ue: int) -> np.ndarray:
        """The UE's most recent uplink packet fates (EVENT_DTYPE, in the order ns-3 decided them)."""
        h = self.packet_history[ue]
        return np.array(h, dtype=EVENT_DTYPE) if h else np.empty(0, EVENT_DTYPE)

    def handovers_during(self, ue: int, t0_s: float, t1_s: float) -> int:
        """How many of the UE's handovers overlapped [t0_s, t1_s]: started by its end, and not
        ended before its start (one still under way counts)."""
        return sum(1 for start, end in self.handover_spans[ue]
                   if start <= t1_s and (end is None or end >= t0_s))

    # ---- the loop ----
    def run(self) -> None:
        """Runs ns-3 and simpy together to the end of the scenario."""
        while self.step():
            pass
        self.finish()

    def run_until(self, event: simpy.Event) -> bool:
        """Runs until ``event`` has happened; False if the scenario ended first."""
        while not event.processed:
            if not self.step():
                return False
        return True

    def step(self) -> bool:
        """One grant: ns-3 runs to the next horizon, then simpy catches up. False at the end."""
        if self.now_ns >= self.end_ns or self.sim.finished:
            return False
        commands = self._take_commands()
        horizon = self._next_horizon()
        t0 = time.perf_counter()
        slots, events = self.sim.advance(horizon, commands)
        self.advance_wall_s += time.perf_counter() - t0
        self.grants += 1
        reached = horizon if self.sim.finished else min(self.sim.now_ns, horizon)  # < horizon: stopped on a fate
        self._deliver(slots, events, reached)
        self.now_ns = reached
        self.env.run(until=reached / NS)
        if self._event_grants:
            self._drop_stop_event()
        return True

    def _drop_stop_event(self) -> None:
        """simpy 4.1's run(until=t) leaves its stop event queued at t (priority -1, no callbacks),
        so peek() would say "now" and every grant would be one slot; processing it is a no-op."""
        queue = self.env._queue
        if queue and queue[0][0] == self.env.now and queue[0][1] == -1 and not queue[0][3].callbacks:
            self.env.step()

    def finish(self) -> None:
        """Lets ns-3 reach its end and report what is still outstanding."""
        if not self.sim.finished:
            slots, events = self.sim.advance(self.end_ns + SLOT_NS)
            self._deliver(slots, events, self.end_ns)

    def _next_horizon(self) -> int:
        if self._event_grants:
            # The boundary after simpy's next event: what it sends then goes out there.
            peek = self.env.peek()
            next_ns = int(peek * NS) // SLOT_NS * SLOT_NS + SLOT_NS if peek != float("inf") else self.end_ns
            step = min(max(SLOT_NS, next_ns - self.now_ns), self._max_step_ns)
        elif self._in_flight or self._pending:
            step = SLOT_NS
        else:
            peek = self.env.peek()
            next_ns = int(peek * NS) if peek != float("inf") else self.end_ns
            # Up to the slot boundary at or before simpy's next event (commands it issues then
            # go out at that boundary), at least one slot, at most max_step.
            step = min(max(SLOT_NS, next_ns // SLOT_NS * SLOT_NS - self.now_ns), self._max_step_ns)
        return min(self.now_ns + step, self.end_ns)

    def _take_commands(self) -> np.ndarray | None:
        """The pending sends, plus a stop-on-done command while anything is in flight."""
        stop = self._event_grants and bool(self._in_flight or self._pending)
        if not self._pending and not stop:
            return None
        cmds = np.zeros(len(self._pending) + stop, COMMAND_DTYPE)  # one array: np.concatenate drops the padding
        for i, (t, nbytes, payload) in enumerate(self._pending):
            cmds[i] = (CMD_UPLINK if t.uplink else CMD_DOWNLINK, t.ue, nbytes, t.tag, payload)
            t.sent_s = self.now_ns / NS
            self._in_flight[t.tag] = t
        if stop:
            cmds[-1]["kind"] = CMD_STOP_ON_DONE
        self._pending = []
        return cmds

    def _deliver(self, slots: np.ndarray, events: np.ndarray, horizon_ns: int) -> None:
        if self._on_records is not None:
            self._on_records(slots, events)
        if len(slots):
            for ue in np.unique(slots["ue"]):
                self.history[int(ue)].append(slots[slots["ue"] == ue])
        packets, handovers = split_events(events)
        for ev in handovers:
            spans = self.handover_spans[int(ev["ue"])]
            if ev["kind"] == HANDOVER_START:
                spans.append([int(ev["t_send_ns"]) / NS, None])
            elif spans and spans[-1][1] is None:
                spans[-1][1] = int(ev["t_send_ns"]) / NS
        for ev in packets:
            if ev["direction"] == 0:
                self.packet_history[int(ev["ue"])].append(ev)
            t = self._in_flight.get(int(ev["tag"]))
            if t is None:
                continue  # background or foreign traffic
            received = int(ev["t_recv_ns"])
            at_ns = received if received >= 0 else horizon_ns
            t.arrival_s[int(ev["packet"])] = received / NS if received >= 0 else None
            if t.complete:
                del self._in_flight[t.tag]
                self._fire_at(t.done, at_ns)

    def _fire_at(self, event: simpy.Event, at_ns: int) -> None:
        delay = max(0.0, at_ns / NS - self.env.now)
        self.env.timeout(delay).callbacks.append(lambda _: event.succeed())
