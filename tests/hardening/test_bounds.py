"""Atomic run folders, trace conversion in bounded memory, and commands that start without torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cosim.run.rundir import new_run_dir
from cosim.outputs.traces import journal_to_parquet
from cosim.testing.runs import CELL, LAYERSPLIT, check_traces, meta, write_config


def test_only_one_of_several_runs_gets_the_same_out_folder(tmp_path):
    cfg = write_config(tmp_path / "c.yaml", {**CELL, "duration_s": 0.5})
    out = tmp_path / "shared"
    out.mkdir()  # an existing empty folder: every run passes the emptiness check at first
    procs = [subprocess.Popen([*LAYERSPLIT, "run", str(cfg), "--out", str(out), "--no-progress"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(p.communicate(timeout=300)[1], p.returncode)[::-1] for p in procs]
    assert sorted(code for code, _ in results) == [0, 1, 1, 1], results
    assert all("exists and is not empty" in err for code, err in results if code)
    assert meta(out)["status"] == "ok"  # the losers did not touch the winner's record
    assert check_traces(out) == 2 * 500


def test_claim_refuses_a_used_folder(tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(FileExistsError, match="exists and is not empty"):
        new_run_dir(tmp_path / "used", "n")
    first, second = new_run_dir(None, "n", root=tmp_path), new_run_dir(None, "n", root=tmp_path)
    assert first != second and first.parent == second.parent == tmp_path


def _journal(path, batches: int, rows: int):
    schema = pa.schema([("seq", pa.uint64()), ("v", pa.float32())])
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, schema) as w:
        for b in range(batches):
            seq = np.arange(b * rows, (b + 1) * rows, dtype=np.uint64)
            w.write_table(pa.table({"seq": seq, "v": seq.astype(np.float32)}, schema=schema))
    return schema


def test_conversion_gives_the_same_file_as_converting_at_once(tmp_path):
    journal = tmp_path / "t.arrows"
    _journal(journal, batches=37, rows=1000)
    assert journal_to_parquet(journal, tmp_path / "stream.parquet", rows_per_group=4096) == 37_000
    with pa.OSFile(str(journal), "rb") as f:
        whole = pa.ipc.open_stream(f).read_all()
    pq.write_table(whole, tmp_path / "once.parquet", row_group_size=4096)
    assert (tmp_path / "stream.parquet").read_bytes() == (tmp_path / "once.parquet").read_bytes()
    assert pq.ParquetFile(tmp_path / "stream.parquet").metadata.num_row_groups == 10


def test_conversion_memory_is_bounded_by_row_groups_not_by_the_trace(tmp_path):
    journal = tmp_path / "t.arrows"
    _journal(journal, batches=800, rows=10_000)  # 8 M rows, 96 MB of columns
    code = textwrap.dedent(f"""
        import pyarrow as pa
        from cosim.outputs.traces import journal_to_parquet
        journal_to_parquet({str(journal)!r}, {str(tmp_path / 'out.parquet')!r}, rows_per_group=65_536)
        print(pa.default_memory_pool().max_memory())
    """)
    peak = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert peak < 16_000_000, peak  # a few row groups (65,536 rows x 12 bytes) and their encoding
    assert pq.ParquetFile(tmp_path / "out.parquet").metadata.num_rows == 8_000_000


def test_help_and_a_cell_run_do_not_import_torch(tmp_path):
    cfg = write_config(tmp_path / "c.yaml", {**CELL, "duration_s": 0.2})
    code = textwrap.dedent(f"""
        import sys
        from cosim.cli import build_parser, main
        build_parser()
        assert "torch" not in sys.modules, "build_parser"
        assert main(["run", {str(cfg)!r}, "--out", {str(tmp_path / 'run')!r}, "--no-progress"]) == 0
        print(sorted(m for m in ("torch", "transformers", "stable_baselines3", "gymnasium") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
