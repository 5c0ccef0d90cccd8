"""An OFDMA NR cell with more UEs than its uplink can start granting (issue 29): 5G-LENA splits
the band one RB at a time among every UE with uplink data and grants no TB under 12 bytes, so past
the limit no UE ever sends (cosim.radio.nr.uplink_limit). Such a configuration is refused naming
the limit; at the limit, the real cell carries every UE's data."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.cli import main
from cosim.radio.nr.schema import load_scenario
from cosim.radio.nr.uplink_limit import ofdma_ue_limit, tb_bytes_at_mcs0
from testkit.cells import HARQ_OK

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "nr_fr1.yaml"


def _radio(**radio):
    over = {"ue_groups.0.count": 1, **{f"radio.{k}": v for k, v in radio.items()}}
    return load_scenario(EXAMPLE, overrides=over, extra_sections=("probes",)).radio


def test_5g_lena_tb_sizes_at_mcs0_around_the_12_byte_floor():
    # 3 and 4 RBs over a UL slot's 13 data symbols (NrAmc: 11 subcarriers, QPSK, R 0.12, 3-byte CRC)
    assert (tb_bytes_at_mcs0("nr1", 3 * 13), tb_bytes_at_mcs0("nr1", 4 * 13)) == (9, 14)


@pytest.mark.parametrize("radio,limit", [
    ({}, 36),                           # nr_fr1: 40 MHz at mu 1, 111 RBs (measured: 36 carry, 37 carry nothing)
    ({"bandwidth_mhz": 50}, 45),        # 138 RBs (measured: 45 carry, 46 carry nothing)
    ({"scheduler": "tdma_pf"}, None),   # TDMA gives one UE every RB of its symbols: no such limit
    ({"beamforming": "cell_scan"}, None),  # a beam per UE: not modelled, the run's own check covers it
])
def test_the_limit_follows_the_band_and_the_scheduler(radio, limit):
    assert ofdma_ue_limit(_radio(**radio)) == limit


def test_nr_fr1_with_48_ues_is_refused_naming_the_limit_and_why(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(EXAMPLE), "--set", "duration_s=2", "--set", "ue_groups.0.count=47",
                 "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith("layersplit run: error: ue_groups: 48 UEs is more than the uplink of this cell can start")
    assert "'ofdma_pf' shares the 111 RBs" in err and "Use at most 36 UEs, a tdma_* scheduler" in err
    assert not out.exists()


def test_at_the_limit_every_ue_carries_uplink_data(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(EXAMPLE), "--set", "duration_s=0.8", "--set", "ue_groups.0.count=35",
                 "--out", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err  # 20 kB from 36 UEs every 200 ms overloads it: some transfers may be lost whole
    assert not any(w in err for w in ("granted no uplink", "never got an uplink grant", "carried no uplink data")), err
    from cosim.outputs.traces import read_slots

    slots = read_slots(out)
    data_tbs = slots[slots["harq"] == HARQ_OK].groupby("ue").size()
    assert slots["ue"].nunique() == 36 and len(data_tbs) == 36 and (data_tbs > 0).all()
