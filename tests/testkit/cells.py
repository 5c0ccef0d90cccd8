"""The LTE and NR cell tests' shared helpers: a small scenario mapping, a run's traces read back
(Run) and the body of the run_lte / run_nr fixtures. Every cell test runs the real cell program
(ns-3; 5G-LENA for NR)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import yaml

from cosim.run.cell_run import run_scenario_file
from cosim.outputs.traces import read_handovers, read_packets, read_slots

NO_VALUE = 255  # records.hpp kNoValue (CQI, MCS)
HARQ_NONE, HARQ_OK, HARQ_FAIL, HARQ_EMPTY = 0, 1, 2, 3  # records.hpp HarqOutcome

# What differs between the technologies' test scenarios (the defaults of duration and position
# are in lte_scenario / nr_scenario). traffic None: the UE group gets no traffic key.
_TECHNOLOGY: dict[str, dict[str, Any]] = {
    # log-distance channel, no fading
    "lte": {"radio": {"bandwidth_rbs": 25, "scheduler": "pf", "rlc_mode": "UM"},
            "channel": {"propagation": "log_distance"},
            "traffic": None},
    # UMa without fading or shadowing (fast)
    "nr": {"radio": {"technology": "nr", "numerology": 1, "bandwidth_mhz": 10},
           "channel": {"scenario": "UMa", "fading": False, "shadowing": False},
           "traffic": {"kind": "none"}},
}


def cell_scenario(technology: str, duration_s: float, positions, mobility: dict | None = None,
                  traffic: dict | None = None, **sections: Any) -> dict:
    """A small scenario mapping of `technology` ("lte" or "nr"): one UE group at `positions`.
    A dict in `sections` is merged into the section of that name, anything else replaces it."""
    base = copy.deepcopy(_TECHNOLOGY[technology])
    group: dict[str, Any] = {
        "count": len(positions),
        "placement": {"kind": "list", "positions": [list(p) for p in positions]},
        "mobility": mobility or {"kind": "constant_position"},
    }
    if traffic or base["traffic"] is not None:
        group["traffic"] = traffic or base["traffic"]
    sc: dict[str, Any] = {
        "name": "t",
        "duration_s": duration_s,
        "seed": 1,
        "radio": base["radio"],
        "channel": base["channel"],
        "ue_groups": [group],
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(sc.get(key), dict):
            sc[key] = {**sc[key], **value}
        else:
            sc[key] = value
    return sc


def lte_scenario(duration_s: float = 0.4, positions=((100, 0),), mobility: dict | None = None,
                 traffic: dict | None = None, **sections: Any) -> dict:
    """A small LTE scenario: log-distance channel, no fading, no traffic unless given."""
    return cell_scenario("lte", duration_s, positions, mobility, traffic, **sections)


def nr_scenario(duration_s: float = 0.3, positions=((50, 0),), mobility: dict | None = None,
                traffic: dict | None = None, **sections: Any) -> dict:
    """A small NR scenario: UMa without fading, traffic kind none unless given."""
    return cell_scenario("nr", duration_s, positions, mobility, traffic, **sections)


class Run:
    """A finished run's output folder with its slot, packet and handover traces and config read back."""

    def __init__(self, path: Path):
        self.path = path
        self.slots: pd.DataFrame = read_slots(path)
        self.packets: pd.DataFrame = read_packets(path)
        self.handovers: pd.DataFrame = read_handovers(path)
        self.config = yaml.safe_load((path / "config.yaml").read_text())


def cell_runner(tmp_path: Path) -> Callable[..., Run]:
    """The run_lte / run_nr fixtures' function: run(mapping, name="run", **overrides) -> Run
    writes the YAML under `tmp_path`, runs it, reads the traces back."""
    def _run(sc: dict, name: str = "run", **overrides: Any) -> Run:
        cfg = tmp_path / f"{name}.yaml"
        cfg.write_text(yaml.safe_dump(sc, sort_keys=False))
        return Run(run_scenario_file(cfg, out=tmp_path / name, progress=False, overrides=overrides))
    return _run
