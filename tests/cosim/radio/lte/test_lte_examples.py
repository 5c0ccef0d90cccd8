"""Every examples/lte_*.yaml runs (smoke test, short simulated time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.cells import Run
from cosim.run.cell_run import run_scenario_file

EXAMPLES = sorted((Path(__file__).resolve().parents[4] / "examples").glob("lte_*.yaml"))


def test_examples_exist():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(tmp_path, path):
    run = Run(run_scenario_file(path, out=tmp_path / "run", progress=False, overrides={"duration_s": 0.6}))
    n_ues = sum(g["count"] for g in run.config["ue_groups"])
    assert len(run.slots) == 600 * n_ues
    # several cells: initial cell selection takes about 250 ms; every UE is connected by the end
    connected = run.slots[run.slots.cell_id != 0]
    assert set(connected.ue) == set(range(n_ues))
    assert connected.dl_sinr_db.notna().mean() > 0.9
    if "probes" in path.read_text():
        assert len(run.packets) > 0 and not run.packets.lost.all()
