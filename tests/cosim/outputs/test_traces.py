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

from cosim.outputs.traces import read_handovers, read_packets, read_slots

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
    assert sorted(p.name for p in run.glob("*.parquet*")) == ["handovers.parquet", "packets.parquet", "slots.parquet"]
    assert len(read_slots(run)) == 2 * 500
    assert len(read_handovers(run)) == 0 and "source_cell" in read_handovers(run).columns  # one cell: none


def test_a_keyed_journal_keeps_the_latest_row_of_each_key_killed_or_closed(tmp_path):
    """A request is written when it finishes and again with its deferred quality: the reader of a
    killed run's journal and the closed Parquet file both hold its latest row, once, in id order."""
    import pyarrow as pa

    from cosim.outputs.traces import KeyedJournal, read_requests

    schema = pa.schema([("request", pa.int64()), ("nll", pa.float64()), ("quality_pending", pa.bool_())])
    journal = KeyedJournal(tmp_path / "requests.parquet", schema, key="request")
    assert read_requests(tmp_path).empty  # the schema is on disk before the first request
    journal.write(pa.table({"request": [1, 0], "nll": [float("nan")] * 2, "quality_pending": [True] * 2}, schema))
    journal.write(pa.table({"request": [2], "nll": [3.0], "quality_pending": [False]}, schema))
    journal.write(pa.table({"request": [1], "nll": [2.0], "quality_pending": [False]}, schema))
    killed = read_requests(tmp_path)  # as after a SIGKILL: only the journal exists
    assert list(killed["request"]) == [0, 1, 2] and list(killed["quality_pending"]) == [True, False, False]
    assert np.isnan(killed["nll"][0]) and list(killed["nll"][1:]) == [2.0, 3.0]
    journal.close()
    assert not (tmp_path / "requests.parquet.arrows").exists()
    assert read_requests(tmp_path).equals(killed)
