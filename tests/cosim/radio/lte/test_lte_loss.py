"""Packet fate against channel quality: RLC UM loses more as SINR falls; RLC AM loses nothing.

ns-3's uplink schedulers pick the MCS from the worst RB of the SRS SINR, so an uplink TB almost
never fails and uplink loss comes only from capacity. The downlink MCS follows the UE's CQI
(10 % BLER target), so with MAC HARQ off a failed downlink TB is a lost RLC PDU: under UM its
packets are gone, under AM the RLC retransmits them (ARQ) and they arrive later.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from testkit.cells import HARQ_EMPTY, Run, lte_scenario
from cosim.run.cell_run import run_scenario_file

NEAR, FAR = 0, 1


def _channel_test_scenario(rlc_mode: str) -> dict:
    sc = lte_scenario(duration_s=3.5, positions=((80, 0), (260, 0)),
                      radio={"rlc_mode": rlc_mode, "harq": False},
                      channel={"propagation": "log_distance", "log_distance": {"exponent": 3.2},
                               "fading": {"model": "eva", "speed_kmh": 60, "trace_length_s": 4, "window_s": 0.5}},
                      transfer={"payload_bytes": 1000, "loss_timeout_ms": 3000})
    sc["probes"] = [{"direction": "dl", "ue": "all", "bytes": 2000, "period_ms": 50, "start_s": 0.2, "stop_s": 2.0}]
    return sc


@pytest.fixture(scope="module")
def um_am(tmp_path_factory):
    out = {}
    for mode in ("UM", "AM"):
        d = tmp_path_factory.mktemp(mode)
        (d / "s.yaml").write_text(yaml.safe_dump(_channel_test_scenario(mode)))
        out[mode] = Run(run_scenario_file(d / "s.yaml", out=d / "run", progress=False))
    return out


def test_um_loss_rises_when_sinr_falls(um_am):
    run = um_am["UM"]
    sinr = run.slots.groupby("ue").dl_sinr_db.mean()
    loss = run.packets.groupby("ue").lost.mean()
    assert sinr[FAR] < sinr[NEAR] - 8
    assert loss[FAR] > loss[NEAR] + 0.02, loss.to_dict()


def test_am_loses_nothing_but_delivers_later(um_am):
    um, am = um_am["UM"].packets, um_am["AM"].packets
    assert len(am) == len(um) > 0
    assert um[um.ue == FAR].lost.sum() > 0
    assert not am.lost.any()
    far_um = um[(um.ue == FAR) & ~um.lost].delay_ms
    far_am = am[am.ue == FAR].delay_ms
    assert far_am.mean() > far_um.mean()
    assert far_am.max() > far_um.max()
    # the same channel: the two runs saw the same SINR
    np.testing.assert_allclose(um_am["UM"].slots.groupby("ue").dl_sinr_db.mean(),
                               um_am["AM"].slots.groupby("ue").dl_sinr_db.mean(), atol=0.5)


@pytest.mark.parametrize("retx_always_fits", [True, False])
def test_am_uplink_keeps_sending_when_grants_shrink(run_lte, retx_always_fits):
    """ns-3's LteRlcAm cannot re-segment a retransmission; radio.rlc_am_retx_always_fits (default
    true) keeps the bearer going when a pending retransmission outgrows the shrinking grants."""
    sc = lte_scenario(duration_s=3.0, positions=((50, 0),),
                      mobility={"kind": "constant_velocity", "speed_mps": 15, "heading_deg": 0},
                      radio={"rlc_mode": "AM", "rlc_am_retx_always_fits": retx_always_fits},
                      channel={"log_distance": {"exponent": 3.2},
                               "fading": {"model": "eva", "speed_kmh": 60}},
                      transfer={"loss_timeout_ms": 1000})
    sc["probes"] = [{"direction": "ul", "bytes": 10000, "period_ms": 100, "start_s": 0.3, "stop_s": 2.0}]
    run = run_lte(sc)
    granted_unused = run.slots[run.slots.harq == HARQ_EMPTY]
    if retx_always_fits:
        assert not run.packets.lost.any()
    else:  # the stall: grants keep coming, the UE sends nothing, the RLC queue never drains
        assert run.packets.lost.mean() > 0.5
        assert len(granted_unused) > 500 and run.slots.ul_buffer_bytes.iloc[-1] > 10_000
