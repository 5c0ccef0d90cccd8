"""A run checks its own data before it says ok (issue 29).

The traces are tallied as they are written (cosim.outputs.traces.TraceWriter feeds a
:class:`RunTally`, a few counters per UE, so a run of any length costs no second read), and at
the end of a built-in cell's run (LTE, NR) the tally names what carried nothing:

- a UE that never attached: no downlink control (cqi 255 all along) and no sounding reference
  signal (ul_est_sinr_db NaN all along) in the whole run;
- a UE that had uplink data to send (an uplink transfer, or bytes in its RLC queue) and never got
  an uplink grant, or got grants but no TB that carried data was decoded;
- a cell that granted no uplink at all while some UE had data to send;
- a UE whose every transfer in one direction lost every packet.

Each is one line in meta.json's ``warnings`` and on the terminal; the run's status is then
``ok_with_warnings`` instead of ``ok`` (cosim.run.rundir.RunRecord.finish). A user's own program
fills the records its own way, so its runs are not checked.
"""

from __future__ import annotations

import numpy as np

from cosim.outputs.codes import DOWNLINK, HARQ_FAIL, HARQ_OK, NO_VALUE, UPLINK

ECHO = 1  # packet kind of slot_clock's echoes: not a transfer over the radio


class RunTally:
    """Per-UE counters of the slot and packet records of a run, updated batch by batch."""

    def __init__(self) -> None:
        self.n = 0
        self.counts: dict[str, np.ndarray] = {}
        self.t_first_ns: int | None = None
        self.t_last_ns: int | None = None
        self._open: dict[int, list] = {}  # transfer tag -> [ue, direction, n_packets, seen, lost]
        self.transfers = np.zeros((0, 2), np.int64)  # [ue, direction]: transfers whose fates are all in
        self.all_lost = np.zeros((0, 2), np.int64)   # of those, transfers that lost every packet

    def _grow(self, n: int) -> None:
        if n <= self.n:
            return
        for key, arr in self.counts.items():
            self.counts[key] = np.concatenate([arr, np.zeros(n - self.n, arr.dtype)])
        pad = np.zeros((n - self.n, 2), np.int64)
        self.transfers, self.all_lost = np.vstack([self.transfers, pad]), np.vstack([self.all_lost, pad])
        self.n = n

    def _add(self, key: str, ues: np.ndarray) -> None:
        counted = np.bincount(ues, minlength=self.n)
        self.counts[key] = self.counts.get(key, np.zeros(self.n, np.int64)) + counted

    def add_slots(self, slots: np.ndarray) -> None:
        if not len(slots):
            return
        ue, harq = slots["ue"].astype(np.int64), slots["harq"]
        self._grow(int(ue.max()) + 1)
        self._add("slots", ue)
        self._add("grants", ue[harq != 0])
        self._add("data_ok", ue[harq == HARQ_OK])
        self._add("data_tbs", ue[(harq == HARQ_OK) | (harq == HARQ_FAIL)])
        self._add("heard", ue[(slots["cqi"] != NO_VALUE) | np.isfinite(slots["ul_est_sinr_db"])])
        self._add("queued", ue[slots["ul_buffer_bytes"] > 0])
        t = slots["t_ns"]
        self.t_first_ns = int(t.min()) if self.t_first_ns is None else min(self.t_first_ns, int(t.min()))
        self.t_last_ns = int(t.max()) if self.t_last_ns is None else max(self.t_last_ns, int(t.max()))

    def add_events(self, events: np.ndarray) -> None:
        events = events[events["kind"] != ECHO] if len(events) else events
        if not len(events):
            return
        self._grow(int(events["ue"].max()) + 1)
        self._add("ul_sent", events["ue"][events["direction"] == UPLINK].astype(np.int64))
        for tag, ue, direction, n, lost in zip(events["tag"].tolist(), events["ue"].tolist(),
                                               events["direction"].tolist(), events["n_packets"].tolist(),
                                               (events["t_recv_ns"] < 0).tolist()):
            entry = self._open.setdefault(tag, [ue, direction, n, 0, 0])
            entry[3] += 1
            entry[4] += lost
            if entry[3] >= entry[2]:  # every packet's fate is in: the transfer is whole
                del self._open[tag]
                self.transfers[ue, direction] += 1
                self.all_lost[ue, direction] += entry[4] == entry[3]

    def get(self, key: str) -> np.ndarray:
        return self.counts.get(key, np.zeros(self.n, np.int64))

    def duration_s(self) -> float:
        return 0.0 if self.t_first_ns is None else (self.t_last_ns - self.t_first_ns) / 1e9


def ue_list(ues: np.ndarray, n: int) -> str:
    """'UE 3' or 'UEs 0-2, 5 (4 of 8)': UE indices as compact ranges."""
    ues = sorted(int(u) for u in ues)
    runs, start = [], None
    for i, u in enumerate(ues):
        if start is None:
            start = u
        if i + 1 == len(ues) or ues[i + 1] != u + 1:
            runs.append(f"{start}" if start == u else f"{start}-{u}")
            start = None
    if len(ues) == 1:
        return f"UE {ues[0]}"
    return f"UEs {', '.join(runs)} ({len(ues)} of {n})"


def run_warnings(sc, tally: RunTally) -> list[str] | None:
    """The warnings of a finished run of ``sc``; None for a user's own program (not checked)."""
    from cosim.radio.registry import of_scenario

    return None if of_scenario(sc) is None else warnings(tally)


def warnings(tally: RunTally) -> list[str]:
    """What carried nothing in this run, one line each (module docstring); empty when all is well."""
    n = tally.n
    if n == 0:
        return ["no slot record at all: the cell reported nothing"]
    out = []
    silent = np.flatnonzero(tally.get("heard") == 0)
    if len(silent):
        out.append(f"{ue_list(silent, n)} never attached: no downlink control and no sounding reference signal "
                   f"in {tally.duration_s():.3g} simulated s")
    offered = (tally.get("ul_sent") > 0) | (tally.get("queued") > 0)
    grants, data_ok, data_tbs = tally.get("grants"), tally.get("data_ok"), tally.get("data_tbs")
    if offered.any() and grants.sum() == 0:
        out.append(f"the cell granted no uplink at all while {ue_list(np.flatnonzero(offered), n)} had data to send")
    else:
        never = np.flatnonzero(offered & (grants == 0))
        if len(never):
            out.append(f"{ue_list(never, n)} never got an uplink grant while having data to send")
        failed = np.flatnonzero(offered & (grants > 0) & (data_ok == 0))
        if len(failed):
            out.append(f"{ue_list(failed, n)} carried no uplink data while having data to send "
                       f"({int(data_tbs[failed].sum())} data TBs, none decoded)")
    for direction, name in ((UPLINK, "uplink"), (DOWNLINK, "downlink")):
        total, lost = tally.transfers[:, direction], tally.all_lost[:, direction]
        gone = np.flatnonzero((total > 0) & (lost == total))
        if len(gone):
            out.append(f"{ue_list(gone, n)}: every {name} transfer ({int(total[gone].sum())} in all) lost every packet")
    return out
