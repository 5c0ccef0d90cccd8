"""Every mobility, propagation, fading and scheduler option runs and shows up in the traces."""

from __future__ import annotations

import numpy as np
import pytest

from testkit.cells import NO_VALUE, lte_scenario
from cosim.radio.lte.schema import PROPAGATION_MODELS, SCHEDULERS

BOUNDS = [-300, 300, -300, 300]
MOBILITY = {
    "constant_position": {"kind": "constant_position"},
    "constant_velocity": {"kind": "constant_velocity", "speed_mps": 20, "heading_deg": 90},
    "random_walk": {"kind": "random_walk", "speed_min_mps": 10, "speed_max_mps": 20, "walk_mode": "distance",
                    "walk_step": 2, "bounds": BOUNDS},
    "random_waypoint": {"kind": "random_waypoint", "speed_min_mps": 10, "speed_max_mps": 20, "bounds": BOUNDS},
    "gauss_markov": {"kind": "gauss_markov", "mean_speed_mps": 15, "time_step_s": 0.05, "bounds": BOUNDS},
    "ns2": {"kind": "ns2"},
}

NS2_TRACE = """$node_(0) set X_ 100.0
$node_(0) set Y_ 0.0
$node_(0) set Z_ 1.5
$node_(1) set X_ 0.0
$node_(1) set Y_ 150.0
$node_(1) set Z_ 1.5
$ns_ at 0.1 "$node_(0) setdest 100.0 200.0 40.0"
$ns_ at 0.0 "$node_(1) setdest 0.0 0.0 30.0"
"""


@pytest.mark.parametrize("kind", list(MOBILITY))
def test_mobility(run_lte, tmp_path, kind):
    mob = dict(MOBILITY[kind])
    if kind == "ns2":
        trace = tmp_path / "moves.ns2"
        trace.write_text(NS2_TRACE)
        mob["file"] = str(trace)
    run = run_lte(lte_scenario(duration_s=0.4, positions=((100, 0), (0, 150)), mobility=mob))
    s = run.slots.sort_values(["ue", "t_ns"])
    moved = s.groupby("ue").apply(lambda d: np.hypot(np.diff(d.x), np.diff(d.y)).sum(), include_groups=False)
    assert run.config["ue_groups"][0]["mobility"]["kind"] == kind
    if kind == "constant_position":
        assert (moved == 0).all() and (s.speed == 0).all()
    else:
        assert (moved > 1.0).all(), moved.to_dict()
        assert (s.speed > 0).any()
    if kind == "ns2":  # node 0 heads north from t = 0.1 s at 40 m/s, node 1 towards the eNB at 30 m/s
        end = s.groupby("ue").last()
        assert end.loc[0, "x"] == pytest.approx(100) and end.loc[0, "y"] == pytest.approx(40 * 0.3, abs=0.5)
        assert end.loc[1, "y"] == pytest.approx(150 - 30 * 0.4, abs=0.5)


_mean_sinr: dict[str, float] = {}


@pytest.mark.parametrize("propagation", list(PROPAGATION_MODELS))
def test_propagation(run_lte, propagation):
    run = run_lte(lte_scenario(duration_s=0.3, positions=((200, 0),), channel={"propagation": propagation}))
    assert run.config["channel"]["propagation"] == propagation
    sinr = run.slots.dl_sinr_db[run.slots.t_ns > 50e6]
    assert sinr.notna().all() and np.isfinite(sinr).all()
    mean = float(sinr.mean())
    # each model gives its own path loss at 200 m: no two of them agree to 0.1 dB
    for other, value in _mean_sinr.items():
        assert abs(mean - value) > 0.1, (propagation, other, mean)
    _mean_sinr[propagation] = mean


@pytest.mark.parametrize("model", ["none", "epa", "eva", "etu"])
def test_fading(run_lte, model):
    run = run_lte(lte_scenario(duration_s=0.4, positions=((100, 0),),
                               channel={"fading": {"model": model, "speed_kmh": 30, "trace_length_s": 2}}))
    sinr = run.slots.dl_sinr_db[run.slots.t_ns > 50e6]
    assert run.config["channel"]["fading"]["model"] == model
    if model == "none":
        assert sinr.std() < 0.01
    else:
        assert sinr.std() > 0.5 and sinr.nunique() > 100


@pytest.mark.parametrize("scheduler", list(SCHEDULERS))
def test_scheduler(run_lte, scheduler):
    sc = lte_scenario(duration_s=0.4, positions=((80, 0), (150, 0)), radio={"scheduler": scheduler})
    sc["probes"] = [{"direction": "ul", "bytes": 4000, "period_ms": 50, "start_s": 0.1, "stop_s": 0.25},
                    {"direction": "dl", "bytes": 4000, "period_ms": 50, "start_s": 0.1, "stop_s": 0.25}]
    run = run_lte(sc)
    assert run.config["radio"]["scheduler"] == scheduler
    granted = run.slots[run.slots.ul_mcs != NO_VALUE]
    assert set(granted.ue) == {0, 1}
    delivered = run.packets[~run.packets.lost]
    assert set(delivered[delivered.direction == 0].ue) == {0, 1}
    if scheduler != "fdtbfq":  # see cosim.radio.lte.schema.SCHEDULERS: FD-TBFQ never serves a non-GBR downlink
        assert set(delivered[delivered.direction == 1].ue) == {0, 1}


def test_probe_send_times_can_be_listed(run_lte):
    sc = lte_scenario(duration_s=0.5, positions=((80, 0),))
    sc["probes"] = [{"direction": "ul", "ue": 0, "bytes": 3000, "times_s": [0.23, 0.1, 0.1]}]
    run = run_lte(sc)
    sends = run.packets[run.packets.packet == 0].sort_values("tag")
    # two transfers start in the same millisecond: both are sent, with their own tags
    assert list(np.round(sends.t_send_ns.to_numpy() / 1e6).astype(int)) == [100, 100, 230]
    assert sends.tag.nunique() == 3
