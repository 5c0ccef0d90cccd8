"""Sectors, regular layouts and what a UE hears of the cells around it (radio.cells[].azimuth_deg,
radio.layout; the records' rsrq_db and nb_* columns): a sector's antenna pattern shows in what its
UEs measure, a hexagonal layout puts its sites and sectors where the docs say and its cells are
numbered as documented, each record names the strongest other cell with its RSRP, and a UE that
can camp on no cell stops the run with an error naming it. Bad layouts are refused naming the key."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cosim.bridge.launcher import BridgeError
from cosim.config.checks import ConfigError
from cosim.radio.lte.program_config import to_program_config
from cosim.radio.lte.schema import SECTOR_AZIMUTHS_DEG, load_scenario, resolved_dict

from testkit.cells import lte_scenario

MAX_ATTENUATION_DB = 20.0  # the sector antennas' default (ParabolicAntennaModel MaxAttenuation)
ISD_M = 500.0


def _scenario(positions, radio: dict, duration_s: float = 1.2) -> dict:
    return lte_scenario(duration_s=duration_s, positions=positions, radio=radio,
                        channel={"log_distance": {"exponent": 3.0}})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two sectors of one site facing +x and -x, a UE 200 m in front of each ("sectors"); a
    hexagonal layout of 7 three-sector sites, a UE 100 m from the centre site along two sector
    boresights ("hex")."""
    from testkit.cells import cell_runner

    run = cell_runner(tmp_path_factory.mktemp("layout"))
    sectors = [{"position": [0, 0], "azimuth_deg": 0}, {"position": [0, 0], "azimuth_deg": 180}]
    boresight = [(100 * math.cos(math.radians(a)), 100 * math.sin(math.radians(a))) for a in SECTOR_AZIMUTHS_DEG[:2]]
    return {"sectors": run(_scenario([(200, 0), (-200, 0)], {"cells": sectors}), "sectors"),
            "hex": run(_scenario(boresight, {"layout": {"kind": "hexagonal", "rings": 1, "sectors": 3}}), "hex")}


def _connected(slots):
    return slots[slots["cell_id"] != 0]


def test_each_ue_is_served_by_the_sector_facing_it(runs):
    served = _connected(runs["sectors"].slots).groupby("ue")["cell_id"].unique()
    assert [list(v) for v in served] == [[1], [2]]


def test_the_other_sector_is_heard_through_its_back_lobe(runs):
    """Same site, same path loss: the other sector is weaker by the antenna's full attenuation."""
    s = _connected(runs["sectors"].slots)
    s = s[s["nb_cell_id"] != 0]
    assert len(s) and list(s.groupby("ue")["nb_cell_id"].unique().map(list)) == [[2], [1]]
    gap = s["nb_rsrp_dbm"] - s["rsrp_dbm"]
    assert gap.to_numpy() == pytest.approx(-MAX_ATTENUATION_DB, abs=0.5)
    assert np.isfinite(s["rsrq_db"]).all() and np.isfinite(s["nb_rsrq_db"]).all()
    assert (s["nb_rsrq_db"] < s["rsrq_db"]).all()


def test_neighbour_columns_are_empty_before_the_first_measurement_period(runs):
    s = runs["sectors"].slots
    first = s.loc[s["nb_cell_id"] != 0, "t_ns"].min()
    assert 0 < first <= 400e6  # the UE PHY reports every 200 ms
    early = s[s["t_ns"] < first]
    assert early["nb_rsrp_dbm"].isna().all() and early["nb_rsrq_db"].isna().all()


def test_a_hexagonal_layout_numbers_its_sectors_and_points_them_as_documented(runs):
    r = runs["hex"]
    cells = r.config["derived"]["radio"]["cells"]
    assert len(cells) == 21 and [c["azimuth_deg"] for c in cells[:3]] == list(SECTOR_AZIMUTHS_DEG)
    # UE 0 stands on the centre site's first sector's boresight, UE 1 on its second's
    served = _connected(r.slots).groupby("ue")["cell_id"].unique()
    assert [list(v) for v in served] == [[1], [2]]
    s = _connected(r.slots)
    s = s[s["nb_cell_id"] != 0]
    assert len(s) and (s["nb_rsrp_dbm"] < s["rsrp_dbm"] - 15).all()


def test_a_ue_out_of_every_cells_reach_is_an_error(tmp_path):
    from testkit.cells import cell_runner

    sc = _scenario([(100, 0)], {"cells": [{"position": [0, 0]}, {"position": [ISD_M, 0]}]}, duration_s=1.5)
    sc["ue_groups"].append({**sc["ue_groups"][0], "placement": {"kind": "list", "positions": [[50_000, 0]]}})
    with pytest.raises(BridgeError) as e:
        cell_runner(tmp_path)(sc, "far")
    first = str(e.value).splitlines()[0]
    assert "ue_groups[1]: UE 1 at (50000.0, 0.0) found no cell to camp on 1.0 s into the run" in first
    assert "outside every cell's reach" in first and "-140 dBm" in first
    rsrp = float(first.split("had RSRP ")[1].split(" dBm")[0])
    assert rsrp < -140


# ----------------------------------------------------------------------------- schema
def _cells(layout: dict):
    return load_scenario(lte_scenario(radio={"layout": layout})).radio.cells


def test_hexagonal_sites_are_one_inter_site_distance_from_their_neighbours():
    cells = _cells({"kind": "hexagonal", "rings": 2, "inter_site_distance_m": ISD_M, "center": [10, 20]})
    xy = np.array([c.position for c in cells])
    assert len(xy) == 19 and tuple(xy[0]) == (10.0, 20.0)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    assert d.min(axis=1) == pytest.approx(ISD_M, abs=1e-2)  # a hexagonal grid: every nearest neighbour at the ISD
    ring = np.hypot(xy[1:7, 0] - 10, xy[1:7, 1] - 20)
    assert ring == pytest.approx(ISD_M, abs=1e-2)
    angles = np.degrees(np.arctan2(xy[1:7, 1] - 20, xy[1:7, 0] - 10)) % 360
    assert angles == pytest.approx([0, 60, 120, 180, 240, 300], abs=1e-3)  # counter-clockwise from +x
    assert all(c.azimuth_deg is None for c in cells)


def test_a_line_layout_and_its_program_config():
    sc = load_scenario(lte_scenario(radio={"layout": {"kind": "line", "sites": 2, "sectors": 3, "height_m": 30,
                                                      "tx_power_dbm": 43}}))
    assert [c.position for c in sc.radio.cells] == [(0.0, 0.0)] * 3 + [(ISD_M, 0.0)] * 3
    text = to_program_config(sc)
    assert "cell_count 6\n" in text and "cell_4_azimuth_deg 150.0\n" in text and "cell_4_beamwidth_deg 70.0\n" in text
    assert "cell_5_z 30.0\n" in text and "cell_5_tx_power_dbm 43.0\n" in text
    saved = resolved_dict(sc)
    assert "cells" not in saved["radio"] and saved["radio"]["layout"]["sites"] == 2
    assert len(saved["derived"]["radio"]["cells"]) == 6
    assert load_scenario(saved).radio.cells == sc.radio.cells  # the saved config loads back the same


def test_isotropic_cells_write_no_antenna_lines():
    text = to_program_config(load_scenario(lte_scenario(radio={"cells": [{"position": [0, 0]},
                                                                         {"position": [ISD_M, 0]}]})))
    assert "azimuth" not in text


BAD = [
    ({"cells": [{"position": [0, 0], "azimuth_deg": 30}, {"position": [0, 0], "azimuth_deg": 30}]},
     "radio.cells[1].position: [0.0, 0.0] overlaps radio.cells[0]"),
    ({"cells": [{"position": [0, 0], "azimuth_deg": 30}, {"position": [0, 0]}]},
     "or be sectors of one site with different azimuth_deg"),
    ({"layout": {"kind": "hexagonal", "rings": 3, "sectors": 3}},
     "radio.layout: gives 111 cells, at most 64 are allowed"),
    ({"layout": {"kind": "hexagonal", "sites": 4}}, "radio.layout.sites: only for kind line"),
    ({"layout": {"kind": "line", "rings": 2}}, "radio.layout.rings: only for kind hexagonal"),
    ({"layout": {"kind": "square"}}, "radio.layout.kind: 'square' is not one of"),
    ({"layout": {"sectors": 2}}, "radio.layout.sectors: 2 is not one of 1, 3"),
    ({"layout": {"kind": "line"}, "cells": [{"position": [0, 0]}]}, "radio.layout: give layout or cells, not both"),
    ({"cells": [{"position": [0, 0], "beamwidth_deg": 0}]}, "radio.cells[0].beamwidth_deg: 0 must be >= 1"),
]


@pytest.mark.parametrize("radio, message", BAD)
def test_bad_layouts_are_refused_naming_the_key(radio, message):
    with pytest.raises(ConfigError) as e:
        load_scenario(lte_scenario(radio=radio))
    assert message in str(e.value) and "\n" not in str(e.value)
