"""`layersplit trace summary RUN`: per-UE statistics of a run's slot and packet traces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cosim.traces import enb_position, read_packets, read_slots

NO_VALUE = 255  # records.hpp: kNoValue for CQI and MCS


def ue_summary(run_dir: str | Path) -> pd.DataFrame:
    """One row per UE: channel means, HARQ failure rate, packets sent/lost and delays."""
    slots = read_slots(run_dir)
    packets = read_packets(run_dir)
    ex, ey, _ = enb_position(run_dir)
    rows = []
    for ue, s in slots.groupby("ue"):
        tx = s[s["harq"] != 0]
        p = packets[packets["ue"] == ue]
        rows.append({
            "ue": int(ue),
            "slots": len(s),
            "ul_sinr_db_mean": float(np.nanmean(s["ul_sinr_db"])) if s["ul_sinr_db"].notna().any() else np.nan,
            "ul_sinr_db_min": float(np.nanmin(s["ul_sinr_db"])) if s["ul_sinr_db"].notna().any() else np.nan,
            "dl_sinr_db_mean": float(np.nanmean(s["dl_sinr_db"])) if s["dl_sinr_db"].notna().any() else np.nan,
            "cqi_mean": float(s.loc[s["cqi"] != NO_VALUE, "cqi"].mean()),
            "ul_mcs_mean": float(tx.loc[tx["ul_mcs"] != NO_VALUE, "ul_mcs"].mean()),
            "ul_tbs_bytes_mean": float(tx["ul_tbs_bytes"].mean()),
            "harq_fail_rate": float((tx["harq"] == 2).mean()) if len(tx) else np.nan,
            "distance_m_end": float(np.hypot(s["x"].iloc[-1] - ex, s["y"].iloc[-1] - ey)),
            "packets": len(p),
            "lost": int(p["lost"].sum()),
            "loss_rate": float(p["lost"].mean()) if len(p) else np.nan,
            "delay_ms_mean": float(p["delay_ms"].mean()) if len(p) else np.nan,
            "delay_ms_p95": float(p["delay_ms"].quantile(0.95)) if p["delay_ms"].notna().any() else np.nan,
        })
    return pd.DataFrame(rows).set_index("ue")


def print_summary(run_dir: str | Path) -> None:
    table = ue_summary(run_dir)
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.2f}".format):
        print(f"run {run_dir}: {int(table['slots'].sum())} slot records, {int(table['packets'].sum())} packets")
        print(table.to_string())
