"""Traces survive a hard crash of the Python side: the journal of every batch stays readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from cosim.outputs.traces import read_packets, read_slots

REPO = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent("""
    import sys
    from cosim.run.cell_run import run_scenario_file
    run_scenario_file(sys.argv[1], out=sys.argv[2], progress=False, overrides={"duration_s": 600.0})
""")


def test_killed_python_side_leaves_readable_traces(tmp_path):
    run = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(REPO / "examples" / "lte_static.yaml"), str(run)])
    journal = run / "slots.parquet.arrows"
    deadline = time.monotonic() + 60
    while not (journal.exists() and journal.stat().st_size > 200_000):
        assert child.poll() is None and time.monotonic() < deadline, "the run did not start streaming"
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    slots = read_slots(run)
    assert len(slots) > 1000 and not (run / "slots.parquet").exists()
    assert np.array_equal(slots["seq"].to_numpy(), np.arange(len(slots)))  # whole batches, in order
    assert set(slots["ue"]) == {0, 1}
    read_packets(run)  # readable too, whatever it holds


def test_normal_end_leaves_only_parquet(tmp_path):
    from cosim.run.cell_run import run_scenario_file

    run = run_scenario_file(REPO / "examples" / "lte_static.yaml", out=tmp_path / "run", progress=False,
                            overrides={"duration_s": 0.5})
    assert sorted(p.name for p in run.glob("*.parquet*")) == ["packets.parquet", "slots.parquet"]
    assert len(read_slots(run)) == 2 * 500
