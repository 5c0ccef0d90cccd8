"""A run checks its own data before it says ok (issue 29): real runs of the LTE and NR cells, one
where everything is carried (status ok, no warning) and ones where something carried nothing
(status ok_with_warnings, each finding in meta.json and on the terminal)."""

from __future__ import annotations

import json

import numpy as np
import yaml

from cosim.cli import main
from cosim.run.selfcheck import ue_list

LTE = {"name": "sc", "duration_s": 0.3, "seed": 1, "radio": {"bandwidth_rbs": 25},
       "ue_groups": [{"count": 2, "placement": {"kind": "list", "positions": [[40, 0], [150, 0]]}}],
       "probes": [{"direction": "ul", "bytes": 3000, "period_ms": 40, "start_s": 0.1}]}


def _run(tmp_path, capsys, config: dict) -> tuple[dict, str]:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 0
    return json.loads((out / "meta.json").read_text()), capsys.readouterr().err


def test_a_run_that_carries_everything_is_ok_without_warnings(tmp_path, capsys):
    meta, err = _run(tmp_path, capsys, LTE)
    assert meta["status"] == "ok" and meta["warnings"] == [] and err == ""


def test_a_ue_out_of_reach_is_named_in_meta_and_on_the_terminal(tmp_path, capsys):
    far = {**LTE, "ue_groups": [{"count": 3, "placement": {"kind": "list", "positions": [[40, 0], [150, 0], [20000, 0]]}}]}
    meta, err = _run(tmp_path, capsys, far)
    assert meta["status"] == "ok_with_warnings"
    assert meta["warnings"][0].startswith("UE 2 carried no uplink data while having data to send")
    assert meta["warnings"][1].startswith("UE 2: every uplink transfer (")
    assert all("UE 0" not in w and "UE 1" not in w for w in meta["warnings"])
    assert [f"layersplit run: warning: {w}" for w in meta["warnings"]] == err.splitlines()


def test_an_nr_cell_that_schedules_no_uplink_says_so(tmp_path, capsys):
    """100 MHz at numerology 3 (69 RBs), 22 UEs sending at once: under the refusal's bound (which
    assumes the roomiest slot) yet 5G-LENA's OFDMA uplink never starts; the run says so."""
    nr = {"name": "mu3", "duration_s": 0.3, "seed": 1,
          "radio": {"technology": "nr", "numerology": 3, "bandwidth_mhz": 100},
          "channel": {"scenario": "UMa", "fading": False, "shadowing": False},
          "ue_groups": [{"count": 22, "placement": {"kind": "disc", "radius_min_m": 30, "radius_max_m": 300}}],
          "probes": [{"direction": "ul", "bytes": 3000, "period_ms": 50, "start_s": 0.1}]}
    meta, err = _run(tmp_path, capsys, nr)
    assert meta["status"] == "ok_with_warnings"
    assert "the cell granted no uplink at all while UEs 0-21 (22 of 22) had data to send" in meta["warnings"]
    assert "UEs 0-21 (22 of 22): every uplink transfer" in err


def test_ue_lists_are_compact_ranges():
    assert ue_list(np.array([3]), 8) == "UE 3"
    assert ue_list(np.array([0, 1, 2, 5, 7, 6]), 8) == "UEs 0-2, 5-7 (6 of 8)"
