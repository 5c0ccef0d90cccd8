"""Bad NR values give a one-line error naming the field and the allowed values (CLI exit 1)."""

from __future__ import annotations

import pytest
import yaml

from cosim.cli import main
from testkit.cells import nr_scenario


def _set(sc: dict, dotted: str, value) -> dict:
    node = sc
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    node[parts[-1]] = value
    return sc


BAD = [
    ("radio.technology", "6g", "radio.technology: '6g' is not one of lte, nr"),
    ("radio.numerology", 5, "radio.numerology: 5 must be <= 4"),
    ("radio.numerology", "1", "radio.numerology: '1' is not an integer"),
    ("radio.bandwidth_mhz", 33, "radio.bandwidth_mhz: 33 is not one of 5, 10, 15, 20"),
    ("radio.frequency_ghz", 200, "radio.frequency_ghz: 200 must be <= 100"),
    ("radio.scheduler", "fifo", "radio.scheduler: 'fifo' is not one of tdma_rr, tdma_pf"),
    ("radio.mcs_table", "nr3", "radio.mcs_table: 'nr3' is not one of nr1, nr2, lte"),
    ("radio.tdd_pattern", "DL|XL", "radio.tdd_pattern: slot 1 is 'XL', not one of DL, UL, F, S"),
    ("radio.tdd_pattern", "DL|DL|S", "radio.tdd_pattern: 'DL|DL|S' has no uplink slot"),
    ("radio.gnb_antenna", [4], "radio.gnb_antenna: [4] is not [rows, columns]"),
    ("radio.beamforming", "magic", "radio.beamforming: 'magic' is not one of direct_path, cell_scan"),
    ("radio.rlc_mode", "TM", "radio.rlc_mode: 'TM' is not one of UM, AM"),
    ("radio.enb_tx_power_dbm", 30, "radio.enb_tx_power_dbm: unknown key"),
    ("channel.scenario", "UMi", "channel.scenario: 'UMi' is not one of UMa, UMi-StreetCanyon, RMa"),
    ("channel.condition", "LOS", "channel.condition: 'LOS' is not one of default, los, nlos"),
    ("channel.fading", "on", "channel.fading: 'on' is not a boolean"),
    ("channel.propagation", "friis", "channel.propagation: unknown key"),
    ("ue_groups.0.mobility.kind", "teleport", "ue_groups[0].mobility.kind: 'teleport' is not one of"),
]


@pytest.mark.parametrize("key,value,message", BAD, ids=[b[0] + "=" + str(b[1])[:12] for b in BAD])
def test_bad_nr_value_names_the_field(tmp_path, capsys, key, value, message):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(_set(nr_scenario(), key, value)))
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("layersplit run: error: "), err
    assert message in err
    assert not (tmp_path / "out").exists()


def test_cell_scan_needs_the_fading_channel(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(nr_scenario(radio={"beamforming": "cell_scan"}, channel={"fading": False})))
    assert main(["run", str(cfg), "--no-progress"]) == 1
    assert "radio.beamforming: 'cell_scan' searches beams on the 38.901 channel matrix; it needs channel.fading: true" \
        in capsys.readouterr().err


def test_too_narrow_band_for_the_numerology(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(nr_scenario(radio={"numerology": 4, "bandwidth_mhz": 10})))
    assert main(["run", str(cfg), "--no-progress"]) == 1
    assert "radio.bandwidth_mhz: 10 MHz at numerology 4 gives 3 resource blocks" in capsys.readouterr().err


def test_technology_lte_is_the_lte_cell(tmp_path):
    from cosim.radio.lte.schema import Scenario
    from cosim.radio.scenario import load_any

    sc = {"name": "t", "duration_s": 0.1, "radio": {"technology": "lte", "bandwidth_rbs": 25}}
    cfg = tmp_path / "lte.yaml"
    cfg.write_text(yaml.safe_dump(sc))
    loaded = load_any(cfg)
    assert isinstance(loaded, Scenario) and loaded.radio.bandwidth_rbs == 25
