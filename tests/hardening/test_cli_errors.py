"""One error path: every user-facing error is one line naming the file or key, exit code 1,
no traceback unless --debug; traces written before a failure stay readable."""

from __future__ import annotations

import resource
import signal
import subprocess

from cosim.testing.runs import CELL, LAYERSPLIT, SESSION, check_traces, meta, write_config


def _run(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*LAYERSPLIT, *map(str, args)], capture_output=True, text=True, timeout=300, **kw)


def _one_line_error(proc: subprocess.CompletedProcess, *parts: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("layersplit run: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for part in parts:
        assert part in proc.stderr, proc.stderr


def test_out_below_a_regular_file(tmp_path):
    (tmp_path / "file").write_text("x")
    cfg = write_config(tmp_path / "c.yaml", {**CELL, "duration_s": 0.2})
    _one_line_error(_run("run", cfg, "--out", tmp_path / "file" / "run"), f"{tmp_path / 'file'}", "Not a directory")


def test_yaml_syntax_names_the_file_and_line_and_debug_shows_the_traceback(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: x\nradio: [unclosed\n")
    _one_line_error(_run("run", cfg), f"{cfg}: line 3, column 1: not valid YAML")
    debug = _run("run", cfg, "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "ConfigError" in debug.stderr


def test_cache_dir_that_is_a_file_is_refused_before_the_run(tmp_path):
    (tmp_path / "cache").write_text("x")
    cfg = write_config(tmp_path / "s.yaml", {**SESSION, "model": {"cache_dir": str(tmp_path / "cache")}})
    _one_line_error(_run("run", cfg, "--out", tmp_path / "run"), "model.cache_dir:", "is a file")
    assert not (tmp_path / "run").exists()


def test_load_that_cannot_finish_is_refused_naming_the_field(tmp_path):
    big = {**CELL, "duration_s": 10.0, "probes": [{"bytes": 100_000_000, "period_ms": 1}]}
    _one_line_error(_run("run", write_config(tmp_path / "c.yaml", big), "--out", tmp_path / "run"),
                    "probes[0].bytes: ns-3 would hold about", "(or run with --force)")
    assert not (tmp_path / "run").exists()


def _file_size_limit(limit: int):
    def apply():  # a full disk, as the run sees it: writes past the limit fail (EFBIG, not ENOSPC)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_is_one_line_and_the_traces_so_far_stay_readable(tmp_path):
    cfg = write_config(tmp_path / "c.yaml", CELL)
    out = tmp_path / "run"
    # the limit caps the bridge's shared-memory segment too (7.2 MB with 96-byte slot records): above it
    proc = _run("run", cfg, "--out", out, "--no-progress", preexec_fn=_file_size_limit(8_000_000))
    _one_line_error(proc, f"{out / 'slots.parquet.arrows'}: cannot write the trace: File too large")
    assert meta(out)["status"] == "failed"
    assert check_traces(out, parquet=False) > 50_000  # whole batches up to the full disk


def test_an_alias_bomb_is_one_line_in_well_under_a_second_of_parsing(tmp_path):
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text("name: t\nl0: &l0 [x]\n" + "".join(
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)))
    _one_line_error(_run("run", cfg), f"{cfg}: line 8, ", "nodes once aliases are expanded")


def test_every_help_page_prints_its_percent_signs_once():
    """argparse %-formats help= texts (so they write %%) but not descriptions (which write %)."""
    import argparse

    from cosim.cli import build_parser

    def pages(parser):
        yield parser.prog, parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from pages(sub)

    shown = dict(pages(build_parser()))
    assert "layersplit report" in shown and "95% interval" in shown["layersplit report"]
    assert [prog for prog, text in shown.items() if "%%" in text] == []
