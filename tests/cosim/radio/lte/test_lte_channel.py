"""Channel records: SINR and MCS follow distance, CQI range, TB sizes against TS 36.213."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml

from testkit.cells import HARQ_NONE, NO_VALUE, Run, lte_scenario
from cosim.run.cell_run import run_scenario_file
from cosim.bridge.programs import program_path

# TS 36.213 Table 7.1.7.2.1-1 (transport block size, bits), rows typed in from the standard.
ITBS0_BITS = {1: 16, 2: 32, 3: 56, 4: 88, 5: 120, 6: 152, 7: 176, 8: 208, 9: 224, 10: 256, 100: 2792}
ITBS26_BITS = {1: 712, 100: 75376}


def _ul_mcs_to_itbs(mcs: int) -> int:
    """TS 36.213 Table 8.6.1-1 (PUSCH, modulation orders 2/4/6)."""
    return mcs if mcs <= 10 else mcs - 1 if mcs <= 20 else mcs - 2


@pytest.fixture(scope="module")
def tbs_table() -> pd.DataFrame:
    out = subprocess.run([str(program_path("lte_cell")), "--dump-ul-tbs"], capture_output=True, text=True, check=True)
    return pd.read_csv(io.StringIO(out.stdout)).set_index(["mcs", "rbs"])["tbs_bytes"]


@pytest.fixture(scope="module")
def moving_away(tmp_path_factory):
    """One UE driving away from 30 m to 230 m with uplink and downlink traffic, 3GPP-free channel."""
    d = tmp_path_factory.mktemp("away")
    sc = lte_scenario(duration_s=2.0, positions=((30, 0),),
                      mobility={"kind": "constant_velocity", "speed_mps": 100, "heading_deg": 0},
                      channel={"propagation": "log_distance", "log_distance": {"exponent": 3.2}})
    sc["ue_groups"][0]["traffic"] = {"kind": "cbr", "direction": "both", "rate_bps": 300_000, "packet_bytes": 500,
                                     "start_s": 0.1}
    (d / "s.yaml").write_text(yaml.safe_dump(sc))
    return Run(run_scenario_file(d / "s.yaml", out=d / "run", progress=False))


def test_ue_moving_away_sees_sinr_fall_and_mcs_drop(moving_away):
    s = moving_away.slots
    first, last = s[s.t_ns < 0.7e9], s[s.t_ns >= 1.4e9]
    assert last.x.mean() > first.x.mean() + 100
    assert np.nanmean(last.ul_sinr_db) < np.nanmean(first.ul_sinr_db) - 5
    assert np.nanmean(last.dl_sinr_db) < np.nanmean(first.dl_sinr_db) - 5
    mcs = lambda df: df.loc[df.ul_mcs != NO_VALUE, "ul_mcs"].mean()  # noqa: E731
    assert mcs(last) < mcs(first) - 2
    cqi = lambda df: df.loc[df.cqi != NO_VALUE, "cqi"].mean()  # noqa: E731
    assert cqi(last) < cqi(first) - 2


def test_cqi_stays_in_0_to_15(moving_away):
    cqi = moving_away.slots.cqi
    valid = cqi[cqi != NO_VALUE]
    assert len(valid) > 0.9 * len(cqi)
    assert valid.between(0, 15).all()
    # kNoValue only before the UE's first downlink TTI
    assert (moving_away.slots.t_ns[cqi == NO_VALUE] < 50e6).all()


def test_tb_sizes_match_ts_36_213(moving_away, tbs_table):
    g = moving_away.slots[moving_away.slots.ul_mcs != NO_VALUE]
    assert len(g) > 100 and g.ul_mcs.nunique() > 3
    expected = tbs_table.loc[list(zip(g.ul_mcs, g.ul_rbs))].to_numpy()
    np.testing.assert_array_equal(g.ul_tbs_bytes.to_numpy(), expected)
    assert (g.ul_mcs <= 28).all() and g.ul_rbs.between(1, 25).all()
    assert (moving_away.slots.loc[moving_away.slots.ul_mcs == NO_VALUE, "harq"] == HARQ_NONE).all()


def test_tbs_table_agrees_with_the_standard(tbs_table):
    for rbs, bits in ITBS0_BITS.items():
        assert tbs_table[(0, rbs)] * 8 == bits, (0, rbs)
    for rbs, bits in ITBS26_BITS.items():
        assert tbs_table[(28, rbs)] * 8 == bits, (28, rbs)
    # MCS pairs sharing one ITBS (modulation order changes) give the same size
    for a, b in ((10, 11), (20, 21)):
        assert _ul_mcs_to_itbs(a) == _ul_mcs_to_itbs(b)
        for rbs in (1, 7, 25, 100):
            assert tbs_table[(a, rbs)] == tbs_table[(b, rbs)]
    # monotone in both MCS (through ITBS) and RBs
    t = tbs_table.unstack()
    assert (np.diff(t.to_numpy(), axis=1) >= 0).all() and (np.diff(t.to_numpy(), axis=0) >= 0).all()
