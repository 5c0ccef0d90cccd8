"""Handovers of a run, one row each, from ``handovers.parquet`` and the slot trace.

A handover is its start event (the UE got the command and left the source cell) joined with the
next end or failure event of the same UE. Its uplink interruption is measured on the slot records,
as a user would see it: from the end of the last slot before the start in which a data-carrying
uplink TB was decoded, to the start of the first such slot after the end (NaN when the UE sent no
data on one side of it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cosim.outputs.codes import HARQ_OK
from cosim.outputs.traces import read_handovers, read_slots

COLUMNS = ["ue", "source_cell", "target_cell", "outcome", "start_s", "end_s", "decided_s", "duration_ms",
           "interruption_ms", "report_source_rsrp_dbm", "report_target_rsrp_dbm"]


def handover_table(run_dir: str | Path, slots: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per handover started in the run (``outcome``: ok, failed, or open when the run
    ended first), with the columns of COLUMNS; times in seconds of simulated time."""
    events = read_handovers(run_dir)
    if not len(events):
        return pd.DataFrame(columns=COLUMNS)
    slots = read_slots(run_dir) if slots is None else slots
    rows = []
    for ue, ev in events.sort_values("seq").groupby("ue"):
        ok = _decoded_slot_ends(slots[slots["ue"] == ue])
        pending = None
        for e in ev.itertuples():
            if e.event == "start":
                if pending is not None:
                    rows.append(_row(pending, None, ok))
                pending = e
            elif pending is not None:
                rows.append(_row(pending, e, ok))
                pending = None
        if pending is not None:
            rows.append(_row(pending, None, ok))
    return pd.DataFrame(rows, columns=COLUMNS)


def _decoded_slot_ends(slots: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(start ns, end ns) of the slots with a decoded data-carrying uplink TB, in time order."""
    t = np.sort(slots.loc[slots["harq"] == HARQ_OK, "t_ns"].to_numpy(np.int64))
    step = int(np.diff(np.unique(slots["t_ns"])).min()) if slots["t_ns"].nunique() > 1 else 1_000_000
    return t, t + step


def _row(start, end, ok: tuple[np.ndarray, np.ndarray]) -> dict:
    starts, ends = ok
    t0 = int(start.t_ns)
    t1 = None if end is None else int(end.t_ns)
    interruption = np.nan
    if t1 is not None and end.event == "end":
        before = ends[ends <= t0]
        after = starts[starts >= t1]
        if len(before) and len(after):
            interruption = (after[0] - before[-1]) / 1e6
    return {
        "ue": int(start.ue), "source_cell": int(start.source_cell), "target_cell": int(start.target_cell),
        "outcome": "open" if end is None else ("ok" if end.event == "end" else "failed"),
        "start_s": t0 / 1e9, "end_s": np.nan if t1 is None else t1 / 1e9,
        "decided_s": start.decided_ns / 1e9 if start.decided_ns >= 0 else np.nan,
        "duration_ms": np.nan if t1 is None else (t1 - t0) / 1e6,
        "interruption_ms": interruption,
        "report_source_rsrp_dbm": start.report_source_rsrp_dbm,
        "report_target_rsrp_dbm": start.report_target_rsrp_dbm,
    }
