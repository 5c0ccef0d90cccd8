"""What the slot records claim holds in every slot: a fresh uplink estimate whatever the traffic,
HARQ results that are decoding results, and the cell's geometry from the program itself."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cosim.session.policies import SinrTable
from cosim.outputs.summary import ue_summary
from cosim.outputs.traces import enb_position

from testkit.cells import HARQ_EMPTY, HARQ_FAIL, HARQ_OK, lte_scenario

SRS_PERIOD_MS = 40  # cosim's LTE cell up to 36 UEs


@pytest.fixture(scope="module")
def drive(tmp_path_factory):
    """One UE driving straight out of coverage at 30 m/s from 50 m (12 s, 410 m at the end)."""
    import yaml

    from cosim.run.cell_run import run_scenario_file
    from cosim.outputs.traces import read_slots

    sc = lte_scenario(duration_s=12, positions=((50, 0),),
                      mobility={"kind": "constant_velocity", "speed_mps": 30, "heading_deg": 0},
                      channel={"propagation": "log_distance", "log_distance": {"exponent": 3.2}},
                      probes=[{"direction": "ul", "ue": "all", "bytes": 20000, "period_ms": 200, "start_s": 0.5}])
    tmp = tmp_path_factory.mktemp("drive")
    (tmp / "drive.yaml").write_text(yaml.safe_dump(sc))
    run = run_scenario_file(tmp / "drive.yaml", out=tmp / "run", progress=False)
    slots = read_slots(run)
    slots["d"] = np.hypot(slots["x"], slots["y"])
    return slots


def _after_last_data_block(slots):
    data = slots["harq"].isin([HARQ_OK, HARQ_FAIL])
    t_last = slots.loc[data, "t_ns"].max()
    return slots[slots["t_ns"] > t_last]


def test_uplink_estimate_keeps_falling_with_distance_after_the_grants_stop(drive):
    after = _after_last_data_block(drive)
    assert len(after) >= 1500, "the UE should drive out of its grants well before the end"
    # The last data block's SINR freezes there (the flat line the issue saw) ...
    assert after["ul_sinr_db"].nunique() == 1
    assert after["ul_sinr_age_ms"].is_monotonic_increasing
    # ... while the sounding estimate keeps following the channel, fresh in every slot.
    assert after["ul_est_sinr_db"].nunique() >= 20
    assert np.corrcoef(np.log10(after["d"]), after["ul_est_sinr_db"])[0, 1] < -0.95
    assert after["ul_est_sinr_db"].iloc[-1] < after["ul_sinr_db"].iloc[-1] - 1.5
    assert after["ul_est_age_ms"].max() <= SRS_PERIOD_MS


def test_the_estimate_exists_in_every_slot_after_the_first_sounding(drive):
    first = drive["ul_est_sinr_db"].notna().idxmax()
    sounded = drive.loc[first:]
    assert drive.loc[first, "t_ns"] < 200e6
    assert sounded["ul_est_sinr_db"].notna().all()
    assert (sounded["ul_est_age_ms"] <= SRS_PERIOD_MS).all()
    assert drive.loc[:first - 1, "ul_est_age_ms"].isna().all()


def test_a_policy_reading_the_records_stops_choosing_fragile_splits_out_of_coverage(drive):
    policy = SinrTable(((-3.0, 16), (-100.0, 1)), default_k=16)
    recs = drive.to_records(index=False)
    end = recs[-200:]
    assert policy.choose(0, end, 16) == 1
    # The stale field alone would have kept the fragile split: its frozen value is above -3 dB.
    assert end["ul_sinr_db"][-1] > -3.0


def test_an_idle_ue_between_bursts_shows_no_harq_failures(run_lte):
    run = run_lte(lte_scenario(duration_s=2, positions=((100, 0),),
                               probes=[{"direction": "ul", "ue": "all", "bytes": 20000, "period_ms": 200, "start_s": 0.3}]))
    s = run.slots
    empty = s[s["harq"] == HARQ_EMPTY]
    assert len(empty) > 0, "grants after a burst drained exist and must not read as failures"
    assert (empty["ul_buffer_bytes"] <= 10).all()
    assert (s["harq"] == HARQ_FAIL).sum() == 0
    assert (s.loc[s["harq"] == HARQ_OK, "ul_tbs_bytes"] > 0).all()
    summary = ue_summary(run.path).loc[0]
    assert summary["harq_fail_rate"] == 0 and summary["empty_grants"] == len(empty)


def test_unscheduled_slots_say_so(run_lte):
    s = run_lte(lte_scenario(duration_s=0.5)).slots  # no traffic at all
    idle = s[s["harq"] == 0]
    assert len(idle) > 0
    assert (idle["ul_mcs"] == 255).all() and (idle["ul_rbs"] == 0).all()
    assert (idle["ul_tbs_bytes"] == 0).all() and (idle["ul_symbols"] == 0).all()
    granted = s[s["harq"] != 0]
    assert (granted["ul_symbols"] == 14).all()


def test_the_built_in_cell_reports_its_geometry(run_lte):
    run = run_lte(lte_scenario(duration_s=0.2, positions=((30, 0), (0, 40)), radio={"enb_position": [10, -20, 30]}))
    geometry = json.loads((run.path / "geometry.json").read_text())
    assert geometry == {"ues": 2, "cell_position": [10.0, -20.0, 30.0],
                        "cells": [{"cell_id": 1, "position": [10.0, -20.0, 30.0]}]}
    assert (run.slots.loc[run.slots["t_ns"] >= 100_000_000, "cell_id"] == 1).all()  # connected by 100 ms
    assert enb_position(run.path) == (10.0, -20.0, 30.0)
