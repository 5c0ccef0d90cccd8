"""Helpers for the NR cell tests (own module name: tests/lte has a conftest.py of its own).
Every test runs the real nr_cell program (ns-3 + 5G-LENA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from cosim.cell_run import run_scenario_file
from cosim.traces import read_packets, read_slots

NO_VALUE = 255  # records.hpp kNoValue (CQI, MCS)
HARQ_NONE, HARQ_OK, HARQ_FAIL, HARQ_EMPTY = 0, 1, 2, 3


def nr_scenario(duration_s: float = 0.3, positions=((50, 0),), mobility: dict | None = None,
                traffic: dict | None = None, **sections: Any) -> dict:
    """A small NR scenario mapping: one UE group at `positions`, UMa without fading (fast)."""
    sc: dict[str, Any] = {
        "name": "t",
        "duration_s": duration_s,
        "seed": 1,
        "radio": {"technology": "nr", "numerology": 1, "bandwidth_mhz": 10},
        "channel": {"scenario": "UMa", "fading": False, "shadowing": False},
        "ue_groups": [{
            "count": len(positions),
            "placement": {"kind": "list", "positions": [list(p) for p in positions]},
            "mobility": mobility or {"kind": "constant_position"},
            "traffic": traffic or {"kind": "none"},
        }],
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(sc.get(key), dict):
            sc[key] = {**sc[key], **value}
        else:
            sc[key] = value
    return sc


class Run:
    def __init__(self, path: Path):
        self.path = path
        self.slots: pd.DataFrame = read_slots(path)
        self.packets: pd.DataFrame = read_packets(path)
        self.config = yaml.safe_load((path / "config.yaml").read_text())


@pytest.fixture
def run_nr(tmp_path):
    """run_nr(mapping, name="run") -> Run: writes the YAML, runs it, reads the traces back."""
    def _run(sc: dict, name: str = "run", **overrides: Any) -> Run:
        cfg = tmp_path / f"{name}.yaml"
        cfg.write_text(yaml.safe_dump(sc, sort_keys=False))
        return Run(run_scenario_file(cfg, out=tmp_path / name, progress=False, overrides=overrides))
    return _run
