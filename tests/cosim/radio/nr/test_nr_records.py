"""The record semantics of issue 15 on the NR cell too: a sounding-based uplink estimate in every
slot whatever the traffic, HARQ failures only of data-carrying blocks, geometry from the program,
no neighbour or RSRQ values where 5G-LENA gives none."""

from __future__ import annotations

import json

import numpy as np

from cosim.outputs.summary import ue_summary
from cosim.outputs.traces import enb_position
from testkit.cells import HARQ_FAIL, HARQ_OK, nr_scenario

SRS_PERIOD_MS = 80  # 5G-LENA's default SRS periodicity (80 slots) at numerology 0


def test_nr_uplink_estimate_exists_in_every_slot_and_falls_with_distance(run_nr):
    run = run_nr(nr_scenario(duration_s=6, positions=((50, 0),), radio={"numerology": 0},
                             mobility={"kind": "constant_velocity", "speed_mps": 150, "heading_deg": 0},
                             probes=[{"direction": "ul", "ue": "all", "bytes": 20000, "period_ms": 200,
                                      "start_s": 0.3}]))
    s = run.slots
    first = s["ul_est_sinr_db"].notna().idxmax()
    sounded = s.loc[first:]
    assert s.loc[first, "t_ns"] < 200e6
    assert sounded["ul_est_sinr_db"].notna().all() and (sounded["ul_est_age_ms"] <= SRS_PERIOD_MS).all()
    assert sounded["ul_est_sinr_db"].nunique() >= 50
    d = np.hypot(sounded["x"], sounded["y"])
    assert np.corrcoef(np.log10(d), sounded["ul_est_sinr_db"])[0, 1] < -0.9


def test_nr_harq_failures_are_decoding_results_of_data_blocks(run_nr):
    run = run_nr(nr_scenario(duration_s=2, positions=((100, 0),),
                             probes=[{"direction": "ul", "ue": "all", "bytes": 20000, "period_ms": 200,
                                      "start_s": 0.3}]))
    s, sends = run.slots, np.unique(run.packets["t_send_ns"].to_numpy())
    data = s[s["harq"].isin([HARQ_OK, HARQ_FAIL])]
    assert len(data) > 50 and (data["ul_tbs_bytes"] > 0).all() and (data["ul_mcs"] != 255).all()
    # An idle UE between bursts fails nothing: every failed block lies within a burst.
    failed = s.loc[s["harq"] == HARQ_FAIL, "t_ns"].to_numpy()
    since_send = failed[:, None] - sends[None, :]
    assert (((since_send >= 0) & (since_send <= 100e6)).any(axis=1)).all()
    rate = (data["harq"] == HARQ_FAIL).mean()
    assert ue_summary(run.path).loc[0, "harq_fail_rate"] == rate


def test_nr_cell_reports_its_geometry(run_nr):
    run = run_nr(nr_scenario(duration_s=0.1, positions=((30, 0), (0, 40)), radio={"gnb_position": [10, -20, 30]}))
    assert json.loads((run.path / "geometry.json").read_text()) == {
        "ues": 2, "cell_position": [10.0, -20.0, 30.0], "cells": [{"cell_id": 1, "position": [10.0, -20.0, 30.0]}]}
    assert enb_position(run.path) == (10.0, -20.0, 30.0)
    # one gNB, no RSRQ in 5G-LENA's UE: the neighbour and RSRQ columns say "unknown", not zero
    s = run.slots
    assert s["rsrq_db"].isna().all() and s["nb_rsrp_dbm"].isna().all() and s["nb_rsrq_db"].isna().all()
    assert (s["nb_cell_id"] == 0).all()
