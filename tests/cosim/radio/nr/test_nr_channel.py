"""The NR channel behaves as 3GPP TR 38.901 says: SINR, CQI and MCS fall with distance, and the path
loss of the scenarios and conditions differs by what the 38.901 formulas (worked out here, not
by ns-3) give. Fast fading off and one cell: every SINR is the signal over the noise, so two runs
at the same place differ in SINR exactly by their difference in path loss."""

from __future__ import annotations

import math

import pytest

from testkit.cells import HARQ_FAIL, HARQ_OK, NO_VALUE, nr_scenario

FC_GHZ = 3.5
GNB_Z, UE_Z = 10.0, 1.5


def pl_uma_los(d3d: float) -> float:  # TR 38.901 Table 7.4.1-1, d2D below the breakpoint
    return 28.0 + 22.0 * math.log10(d3d) + 20.0 * math.log10(FC_GHZ)


def pl_uma_nlos(d3d: float) -> float:
    nlos = 13.54 + 39.08 * math.log10(d3d) + 20.0 * math.log10(FC_GHZ) - 0.6 * (UE_Z - 1.5)
    return max(pl_uma_los(d3d), nlos)


def pl_inh_los(d3d: float) -> float:
    return 32.4 + 17.3 * math.log10(d3d) + 20.0 * math.log10(FC_GHZ)


def _static(channel: dict, d2d: float) -> dict:
    # full-buffer uplink: uplink TBs every UL slot give ul_sinr_db; the DL control SINR comes anyway
    return nr_scenario(0.3, positions=((d2d, 0),), traffic={"kind": "full_buffer", "start_s": 0.05},
                       radio={"gnb_position": [0, 0, GNB_Z], "frequency_ghz": FC_GHZ},
                       channel={"fading": False, "shadowing": False, **channel})


def _late(run, col: str) -> float:
    v = run.slots[run.slots.t_ns >= 150_000_000][col].dropna()
    assert len(v) > 0, f"no {col} after 150 ms"
    return float(v.median())


def test_sinr_and_mcs_fall_with_distance(run_nr):
    # NLOS urban macro: about 40, 19 and 4 dB of uplink SNR at 20, 100 and 250 m
    run = run_nr(nr_scenario(0.4, positions=((20, 0), (100, 0), (250, 0)),
                             traffic={"kind": "full_buffer", "start_s": 0.05},
                             channel={"condition": "nlos", "fading": False, "shadowing": False}))
    s = run.slots[run.slots.t_ns >= 150_000_000]
    tbs = s[s.harq.isin([HARQ_OK, HARQ_FAIL])]
    ul = [tbs[tbs.ue == u].ul_sinr_db.median() for u in range(3)]
    dl = [s[s.ue == u].dl_sinr_db.median() for u in range(3)]
    mcs = [tbs[tbs.ue == u].ul_mcs.median() for u in range(3)]
    assert ul[0] > ul[1] > ul[2], ul
    assert dl[0] > dl[1] > dl[2], dl
    assert mcs[0] >= mcs[1] >= mcs[2] and mcs[0] > mcs[2], mcs
    cqi = [s[s.ue == u].cqi.median() for u in range(3)]
    assert (s.cqi != NO_VALUE).all()  # computed from the control SINR every slot, traffic or not
    assert cqi[0] >= cqi[1] >= cqi[2] and cqi[0] > cqi[2], cqi


@pytest.mark.parametrize("d2d", [30.0, 90.0])
def test_uma_los_against_nlos_and_indoor(run_nr, d2d):
    d3d = math.hypot(d2d, GNB_Z - UE_Z)
    los = run_nr(_static({"scenario": "UMa", "condition": "los"}, d2d), "los")
    nlos = run_nr(_static({"scenario": "UMa", "condition": "nlos"}, d2d), "nlos")
    inh = run_nr(_static({"scenario": "InH-OfficeMixed", "condition": "los"}, d2d), "inh")
    for col in ("dl_sinr_db", "ul_sinr_db"):
        assert _late(los, col) - _late(nlos, col) == pytest.approx(pl_uma_nlos(d3d) - pl_uma_los(d3d), abs=0.5)
        assert _late(inh, col) - _late(los, col) == pytest.approx(pl_uma_los(d3d) - pl_inh_los(d3d), abs=0.5)
