"""A user's own NR script (examples/own_script_nr) builds against the installed package alone
(find_package(layersplit) gives layersplit::nr and 5G-LENA's nr) and runs through layersplit run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from cosim.run.cell_run import run_scenario_file
from testkit.cells import Run

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "own_script_nr"


def test_own_nr_script_builds_and_streams(tmp_path):
    cmake_dir = subprocess.run([sys.executable, "-m", "cosim.cli", "config", "--cmake-dir"], capture_output=True,
                               text=True, check=True).stdout.strip()
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", EXAMPLE, "-B", build, f"-Dlayersplit_DIR={cmake_dir}"], check=True,
                   capture_output=True)
    subprocess.run(["cmake", "--build", build, "-j2"], check=True, capture_output=True)
    sc = yaml.safe_load((EXAMPLE / "nr_cell_script.yaml").read_text())
    sc["program"]["path"] = str(build / "nr_cell_script")
    sc["duration_s"] = 0.6
    cfg = tmp_path / "own.yaml"
    cfg.write_text(yaml.safe_dump(sc))
    run = Run(run_scenario_file(cfg, out=tmp_path / "run", progress=False))
    assert len(run.slots) == 0.6 * 8000 * 2  # numerology 3: 8 slots per ms, 2 UEs
    assert (run.packets.t_recv_ns > 0).any()
