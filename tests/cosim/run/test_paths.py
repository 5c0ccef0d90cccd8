"""Paths are data: a run folder whose name holds a space or a newline works with the built-in
cells (ns-3's CommandLine used to cut --config= at the first blank), and meta.json says the
radio's time grid. Real `layersplit run` processes, real ns-3 (5G-LENA for NR)."""

from __future__ import annotations

import json
import subprocess

import pytest

from cosim.testing.runs import LAYERSPLIT, write_config
from testkit.cells import Run, lte_scenario, nr_scenario

PROBE = [{"direction": "ul", "bytes": 3000, "period_ms": 50, "start_s": 0.05}]
SCENARIOS = {
    "lte": lte_scenario(0.3, probes=PROBE),
    "nr": nr_scenario(0.3, radio={"numerology": 2, "bandwidth_mhz": 40}, probes=PROBE),
}
GRIDS = {
    "lte": {"technology": "lte", "slot_ms": 1.0, "subcarrier_khz": 15, "bandwidth_rbs": 25},
    "nr": {"technology": "nr", "numerology": 2, "slot_ms": 0.25, "subcarrier_khz": 60, "bandwidth_rbs": 55},
}


@pytest.mark.parametrize("technology", ["lte", "nr"])
def test_a_run_folder_with_a_space_and_a_newline_works(tmp_path, technology):
    cfg = write_config(tmp_path / "c.yaml", SCENARIOS[technology])
    out = tmp_path / "fs out" / "line\nbreak" / "x"
    done = subprocess.run([*LAYERSPLIT, "run", str(cfg), "--out", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run = Run(out)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["radio"] == GRIDS[technology]
    slot_ms = GRIDS[technology]["slot_ms"]
    assert len(run.slots) == round(300 / slot_ms)  # one UE, every slot of 0.3 s
    assert (run.packets.t_recv_ns > 0).any()
