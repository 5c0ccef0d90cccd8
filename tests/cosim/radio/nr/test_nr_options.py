"""Every NR option runs: the cell streams a record per UE per slot and carries an uplink probe
through 5G-LENA's stack (delivered packets, decoded uplink TBs in the records)."""

from __future__ import annotations

import pytest

from testkit.cells import HARQ_FAIL, HARQ_OK, nr_scenario

NS2 = """$node_(0) set X_ 40.0
$node_(0) set Y_ 0.0
$node_(0) set Z_ 1.5
$ns_ at 0.05 "$node_(0) setdest 80.0 10.0 10.0"
"""

OPTIONS = [
    {"radio.numerology": 0}, {"radio.numerology": 2}, {"radio.numerology": 4, "radio.bandwidth_mhz": 100},
    {"radio.frequency_ghz": 28, "radio.numerology": 3, "radio.bandwidth_mhz": 100, "channel.scenario": "UMi-StreetCanyon"},
    *({"radio.scheduler": s} for s in ("tdma_rr", "tdma_pf", "tdma_mr", "tdma_qos", "ofdma_rr", "ofdma_mr", "ofdma_qos")),
    {"radio.mcs_table": "nr2"}, {"radio.mcs_table": "lte"}, {"radio.harq": False}, {"radio.harq_combining": "cc"},
    {"radio.rlc_mode": "AM"}, {"radio.tdd_pattern": "DL|DL|S|UL|UL"},
    {"radio.antenna_element": "isotropic", "radio.gnb_antenna": [1, 1], "radio.ue_antenna": [1, 1]},
    *({"radio.beamforming": b} for b in ("quasi_omni_direct_path", "direct_path_quasi_omni")),
    {"radio.beamforming": "cell_scan", "channel.fading": True},
    *({"channel.scenario": s} for s in ("UMi-StreetCanyon", "RMa", "InH-OfficeMixed", "InH-OfficeOpen")),
    {"channel.condition": "los"}, {"channel.condition": "nlos"}, {"channel.shadowing": True},
    {"channel.fading": True}, {"channel.fading": True, "channel.update_period_ms": 0},
    *({"ue_groups.0.mobility": m} for m in (
        {"kind": "constant_velocity", "speed_mps": 10, "heading_deg": 90},
        {"kind": "random_walk", "bounds": [-200, 200, -200, 200]},
        {"kind": "random_waypoint", "bounds": [-200, 200, -200, 200]},
        {"kind": "gauss_markov", "bounds": [-200, 200, -200, 200]},
        {"kind": "ns2"})),
]


def _id(o: dict) -> str:
    return ",".join(f"{k.split('.')[-1]}={v if not isinstance(v, dict) else v['kind']}" for k, v in o.items())


@pytest.mark.parametrize("option", OPTIONS, ids=[_id(o) for o in OPTIONS])
def test_option_runs_and_carries_an_uplink_probe(run_nr, tmp_path, option):
    option = dict(option)
    mobility = option.get("ue_groups.0.mobility")
    if mobility and mobility["kind"] == "ns2":
        (tmp_path / "moves.ns2").write_text(NS2)
        option["ue_groups.0.mobility"] = {"kind": "ns2", "file": str(tmp_path / "moves.ns2")}
    duration = 0.3
    run = run_nr(nr_scenario(duration, positions=((40, 0),), probes=[{"bytes": 6000, "times_s": [0.1]}]), **option)
    mu = run.config["radio"]["numerology"]
    assert len(run.slots) == round(duration * 1000 * 2**mu)
    assert run.slots.harq.isin([HARQ_OK, HARQ_FAIL]).any()
    ul = run.packets[run.packets.direction == 0]
    assert len(ul) == 6 and (ul.t_recv_ns > 0).sum() >= 5, ul
