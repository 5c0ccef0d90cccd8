"""Several LTE cells from YAML (radio.cells): every record names its UE's serving cell, and every
base-station measurement in it (sounding estimate, data SINR) comes from that cell, although ns-3
numbers each cell's UEs from RNTI 1, so the two UEs below both are RNTI 1. The geometry lists every
cell, the summary's distance is to the serving cell, a rerun gives the same bytes, bad cell lists
are refused naming the key."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import yaml

from cosim.cli import main
from cosim.config.checks import ConfigError
from cosim.outputs.summary import ue_summary
from cosim.outputs.traces import PACKETS_FILE, SLOTS_FILE, cell_positions
from cosim.radio.lte.program_config import to_program_config
from cosim.radio.lte.schema import load_scenario

from testkit.cells import lte_scenario

CELLS = [{"position": [0, 0]}, {"position": [500, 0]}]
NEAR_M, FAR_M = 50.0, 150.0  # each UE's distance to its own (nearest) cell


def _two_cells(positions) -> dict:
    """Two cells 500 m apart on one carrier; every UE sends a CBR uplink (data SINR)."""
    return lte_scenario(duration_s=1.0, positions=positions, radio={"cells": CELLS},
                        channel={"log_distance": {"exponent": 3.0}},
                        traffic={"kind": "cbr", "direction": "ul", "rate_bps": 200_000, "packet_bytes": 500,
                                 "start_s": 0.1})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """UE 0 near cell 1 and UE 1 farther from cell 2 ("a"), the same UEs swapped between the
    cells ("b"), and "a" again ("a2")."""
    from testkit.cells import cell_runner

    run = cell_runner(tmp_path_factory.mktemp("cells"))
    a = [(NEAR_M, 0), (500 - FAR_M, 0)]
    return {"a": run(_two_cells(a), "a"), "b": run(_two_cells(a[::-1]), "b"), "a2": run(_two_cells(a), "a2")}


def _connected(slots):
    return slots[slots["cell_id"] != 0]


def test_each_ues_records_name_its_own_serving_cell(runs):
    s = runs["a"].slots
    served = _connected(s).groupby("ue")["cell_id"].unique()
    assert [list(v) for v in served] == [[1], [2]]
    # before its connection (initial cell selection takes a few hundred ms) a UE has no cell
    first = _connected(s).groupby("ue")["t_ns"].min()
    assert (first > 0).all() and (first < 500e6).all()
    assert (s.loc[s["t_ns"] < first.min(), "cell_id"] == 0).all()
    assert [list(v) for v in _connected(runs["b"].slots).groupby("ue")["cell_id"].unique()] == [[2], [1]]


def test_the_two_ues_share_rnti_1_in_their_cells(runs):
    log = (runs["a"].path / "ns3.log").read_text()
    served = sorted(re.findall(r"UE (\d+) \(IMSI \d+\) served by cell (\d+) as RNTI (\d+)", log))
    assert served == [("0", "1", "1"), ("1", "2", "1")]


def _fresh_means(slots, column: str, age: str):
    fresh = _connected(slots)
    fresh = fresh[fresh[age] < 250]
    return fresh.groupby("ue")[column].mean()


def test_each_ues_uplink_measurements_come_from_its_own_cell(runs):
    a, b = runs["a"].slots, runs["b"].slots
    est_a = _fresh_means(a, "ul_est_sinr_db", "ul_est_age_ms")
    est_b = _fresh_means(b, "ul_est_sinr_db", "ul_est_age_ms")
    # every UE has its own estimate (none is NaN for want of its reports) ...
    assert len(est_a) == 2 and np.isfinite(est_a).all()
    # ... the near UE's is the higher one (50 vs 150 m from the cell that measures it) ...
    assert est_a[0] > est_a[1] + 6
    # ... and swapping the UEs between the cells swaps the values with them, not the UE index
    assert est_b[0] == pytest.approx(est_a[1], abs=1.0) and est_b[1] == pytest.approx(est_a[0], abs=1.0)
    # the data SINR is the same cell's, over the UE's own granted blocks
    data_a = _fresh_means(a, "ul_sinr_db", "ul_sinr_age_ms")
    assert len(data_a) == 2
    assert (np.abs(data_a - est_a) < 3).all()


def test_each_record_names_the_other_cell_and_how_much_weaker_it_is(runs):
    """Same power, log-distance exponent 3: the neighbour is weaker by 30 log10 of the distance ratio."""
    s = _connected(runs["a"].slots)
    s = s[s["nb_cell_id"] != 0]
    assert list(s.groupby("ue")["nb_cell_id"].unique().map(list)) == [[2], [1]]
    height = 25.0 - 1.5
    for ue, near in ((0, NEAR_M), (1, FAR_M)):
        gap = (s.loc[s["ue"] == ue, "nb_rsrp_dbm"] - s.loc[s["ue"] == ue, "rsrp_dbm"]).to_numpy()
        expected = -30 * math.log10(math.hypot(500 - near, height) / math.hypot(near, height))
        assert gap == pytest.approx(expected, abs=0.3)


def test_geometry_lists_every_cell_and_distance_is_to_the_serving_cell(runs):
    path = runs["a"].path
    geometry = json.loads((path / "geometry.json").read_text())
    assert geometry["cell_position"] == [0.0, 0.0, 25.0]
    assert geometry["cells"] == [{"cell_id": 1, "position": [0.0, 0.0, 25.0]},
                                 {"cell_id": 2, "position": [500.0, 0.0, 25.0]}]
    assert cell_positions(path) == {1: (0.0, 0.0, 25.0), 2: (500.0, 0.0, 25.0)}
    summary = ue_summary(path)
    assert summary.loc[0, "distance_m_end"] == pytest.approx(NEAR_M)
    assert summary.loc[1, "distance_m_end"] == pytest.approx(FAR_M)


def test_a_rerun_gives_the_same_bytes(runs):
    a, a2 = runs["a"].path, runs["a2"].path
    for f in (SLOTS_FILE, PACKETS_FILE):
        assert (a / f).read_bytes() == (a2 / f).read_bytes()


def test_a_saved_config_loads_back_with_its_cells(runs):
    cfg = runs["a"].config
    assert "enb_position" not in cfg["radio"] and cfg["radio"]["cells"][1]["position"] == [500.0, 0.0]
    sc = load_scenario(cfg)
    assert [c.position for c in sc.radio.cells] == [(0.0, 0.0), (500.0, 0.0)]


def test_one_cell_config_text_is_unchanged_by_cells_support():
    text = to_program_config(load_scenario(lte_scenario()))
    assert "cell_" not in text and "enb_x 0.0\n" in text
    two = to_program_config(load_scenario(lte_scenario(radio={"cells": CELLS + [{"position": [0, 500],
                                                                                "height_m": 30,
                                                                                "tx_power_dbm": 40}]})))
    assert "cell_count 3\n" in two and "cell_2_z 30.0\n" in two and "cell_2_tx_power_dbm 40.0\n" in two
    assert "cell_0_tx_power_dbm 30.0\n" in two  # radio.enb_tx_power_dbm for cells that give none


BAD = [
    ([{"position": [0, 0]}, {"position": [0.4, 0.3]}],
     "radio.cells[1].position: [0.4, 0.3] overlaps radio.cells[0] at [0.0, 0.0]"),
    ([{"position": [0, 0]}, {"position": [500, 0]}, {"position": [500, 0]}],
     "radio.cells[2].position: [500.0, 0.0] overlaps radio.cells[1]"),
    ([{"height_m": 30}], "radio.cells[0].position: required"),
    ([{"position": [0, 0, 25]}], "radio.cells[0].position: [0, 0, 25] is not a list of 2 numbers"),
    ([{"position": [0, 0], "power": 3}], "radio.cells[0].power: unknown key"),
    ([{"position": [0, 0], "height_m": 0}], "radio.cells[0].height_m: 0 must be > 0"),
]


@pytest.mark.parametrize("cells, message", BAD)
def test_bad_cells_are_refused_naming_the_key(cells, message):
    with pytest.raises(ConfigError) as e:
        load_scenario(lte_scenario(radio={"cells": cells}))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_cells_and_enb_position_together_are_refused(tmp_path, capsys):
    cfg = tmp_path / "both.yaml"
    cfg.write_text(yaml.safe_dump(lte_scenario(radio={"cells": CELLS, "enb_position": [0, 0, 25]})))
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "radio.enb_position: give enb_position (one cell) or cells, not both" in err
