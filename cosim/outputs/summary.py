"""`layersplit trace summary RUN`: per-UE statistics of a run's slot and packet traces, its
handovers (cosim.outputs.handovers) and, for a split run, what its requests got (cosim.outputs.service)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cosim.outputs.codes import HARQ_EMPTY, HARQ_FAIL, HARQ_NONE, HARQ_OK, NO_VALUE
from cosim.outputs.traces import (REQUESTS_FILE, cell_positions, enb_position, has_trace, read_packets,
                                  read_requests, read_slots)
from cosim.outputs.uplink import fresh_ul_sinr_db


def ue_summary(run_dir: str | Path) -> pd.DataFrame:
    """One row per UE: channel means, uplink block error rate, packets sent/lost and delays.

    ``ul_sinr_db_*`` are over the fresh sounding estimate (cosim.outputs.uplink), every slot it exists;
    ``harq_fail_rate`` is the block error rate of data-carrying TBs (failed / decoded), and
    ``empty_grants`` counts grants the UE had nothing to send in (not decoding results)."""
    slots = read_slots(run_dir)
    packets = read_packets(run_dir)
    enb = enb_position(run_dir)
    cells = cell_positions(run_dir)
    rows = []
    for ue, s in slots.groupby("ue"):
        tx = s[s["harq"] != HARQ_NONE]
        data = s[(s["harq"] == HARQ_OK) | (s["harq"] == HARQ_FAIL)]
        est = fresh_ul_sinr_db(s)
        p = packets[packets["ue"] == ue]
        rows.append({
            "ue": int(ue),
            "slots": len(s),
            "ul_sinr_db_mean": float(np.nanmean(est)) if np.isfinite(est).any() else np.nan,
            "ul_sinr_db_min": float(np.nanmin(est)) if np.isfinite(est).any() else np.nan,
            "ul_est_coverage": float(np.isfinite(est).mean()),
            "dl_sinr_db_mean": float(np.nanmean(s["dl_sinr_db"])) if s["dl_sinr_db"].notna().any() else np.nan,
            "cqi_mean": float(s.loc[s["cqi"] != NO_VALUE, "cqi"].mean()),
            "ul_mcs_mean": float(tx.loc[tx["ul_mcs"] != NO_VALUE, "ul_mcs"].mean()),
            "ul_tbs_bytes_mean": float(tx["ul_tbs_bytes"].mean()),
            "data_tbs": len(data),
            "harq_fail_rate": float((data["harq"] == HARQ_FAIL).mean()) if len(data) else np.nan,
            "empty_grants": int((s["harq"] == HARQ_EMPTY).sum()),
            "distance_m_end": _distance_to_serving_cell(s.iloc[-1], cells, enb),
            "packets": len(p),
            "lost": int(p["lost"].sum()),
            "loss_rate": float(p["lost"].mean()) if len(p) else np.nan,
            "delay_ms_mean": float(p["delay_ms"].mean()) if len(p) else np.nan,
            "delay_ms_p95": float(p["delay_ms"].quantile(0.95)) if p["delay_ms"].notna().any() else np.nan,
        })
    return pd.DataFrame(rows).set_index("ue")


def _distance_to_serving_cell(last, cells: dict, enb: tuple) -> float:
    """From the UE's last position to its serving cell then (the record's cell_id); the one base
    station for runs that did not list their cells or records from before the UE connected."""
    ex, ey, _ = cells.get(int(last.get("cell_id", 0)), enb)
    return float(np.hypot(last["x"] - ex, last["y"] - ey))


def print_summary(run_dir: str | Path) -> None:
    from cosim.outputs.handovers import handover_table

    table = ue_summary(run_dir)
    handovers = handover_table(run_dir)
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.2f}".format):
        print(f"run {run_dir}: {int(table['slots'].sum())} slot records, {int(table['packets'].sum())} packets")
        print(table.to_string())
        if len(handovers):
            done = handovers[handovers["outcome"] == "ok"]
            print(f"{len(handovers)} handovers ({len(done)} completed); uplink interruption ms: median "
                  f"{done['interruption_ms'].median():.1f}, max {done['interruption_ms'].max():.1f} "
                  "(NaN: no uplink data around it)")
            print(handovers.to_string(index=False))
    if has_trace(run_dir, REQUESTS_FILE):
        from cosim.outputs.service import format_figures, service_figures

        req = read_requests(run_dir)
        print(f"{len(req)} requests (value [95 % interval over requests]):")
        print(format_figures(service_figures(req)))
