"""A crash storm: 20 runs of `layersplit run`, each stopped at a random moment by a random signal
(KILL, TERM, INT, STOP) on a random side (ns-3 or Python). Every stop ends the run (no hang), the
records before it are readable in order, no segment is left in /dev/shm, the ns-3 program is gone,
and a normal run afterwards gives the same traces as before the storm."""

from __future__ import annotations

import random

import pytest

from cosim.run.cell_run import run_scenario_file
from cosim.outputs.traces import read_slots
from cosim.testing.runs import CELL, write_config
from cosim.testing.storm import expected_outcome, stop_once


def _reference(tmp_path, name):
    cfg = write_config(tmp_path / f"{name}.yaml", {**CELL, "duration_s": 0.5})
    return read_slots(run_scenario_file(cfg, out=tmp_path / name, progress=False))


@pytest.mark.slow
def test_crash_storm(tmp_path):
    before = _reference(tmp_path, "before")
    rng = random.Random(13)
    stops = [stop_once(tmp_path, rng) for _ in range(20)]
    for s in stops:
        assert s.outcome == expected_outcome(s), s
        assert s.slots > 0 and s.leaked == 0, s
    assert {s.side for s in stops} == {"ns3", "python"} and len({s.sig for s in stops}) == 4
    after = _reference(tmp_path, "after")
    assert after.equals(before)
