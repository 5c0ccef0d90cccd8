"""The HTML report of a split run, opened in a real (headless) Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from cosim.cli import main
from cosim.outputs.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


CFG = {
    "name": "report", "duration_s": 3.0, "seed": 2,
    "radio": {"bandwidth_rbs": 50, "rlc_mode": "UM"},
    "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
    "ue_groups": [{"count": 2, "placement": {"kind": "list", "positions": [[40, 0], [500, 0]]}}],
    "requests": {"rate_per_s": 3.0, "prompt_tokens": 32, "windows": 2, "deadline_ms": 200},
    "split": {"policy": "sinr_table", "k": 4, "table": [[10, 2], [-100, 12]]},
}


def _run(folder, cfg, name):
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["run", str(path), "--out", str(folder / name), "--no-progress"]) == 0
    return folder / name


@pytest.fixture(scope="module")
def split_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("report"), CFG, "run")


def test_report_renders_with_all_figures_in_chromium(split_run, tmp_path):
    assert CHROMIUM, "chromium is not installed (make installs it with apt-get)"
    page = write_report(split_run)
    text = page.read_text()
    assert text.count("<img class='figure'") == 4 and "Per split point" in text
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert re.search(r'data-figures-loaded="4/4"', dom), dom[-500:]
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--window-size=1000,3000",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    assert shot.stat().st_size > 50_000  # figures drawn, not a blank page


def test_report_command_and_missing_requests_error(split_run, tmp_path, capsys):
    assert main(["report", str(split_run), "--out", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").stat().st_size > 10_000
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "slots.parquet").write_bytes(b"")
    assert main(["report", str(tmp_path / "empty")]) == 1
    assert "no requests.parquet" in capsys.readouterr().err


def test_policies_side_by_side_on_the_same_channel(split_run, tmp_path, capsys):
    """The same scenario and seed with a fixed split: one row per run, figures matching each
    run's own requests; a run of another seed is called out as not the same channel."""
    import numpy as np
    import pandas as pd

    runs = {name: _run(tmp_path, {**CFG, **changes}, name)
            for name, changes in (("fixed", {"split": {"policy": "fixed", "k": 12}}), ("other_seed", {"seed": 3}))}
    out = tmp_path / "compare.html"
    assert main(["report", str(split_run), str(runs["fixed"]), "--out", str(out)]) == 0
    text = out.read_text()
    assert "they met the same channel" in text and "fixed k=12" in text and "sinr_table" in text
    assert (runs["fixed"] / "report.html").is_file()  # each run's own report too
    from cosim.outputs.compare import comparison_table

    table = comparison_table([split_run, runs["fixed"]])
    fixed = pd.read_parquet(runs["fixed"] / "requests.parquet")
    row = table.loc[f"fixed k=12 [{runs['fixed'].name}]"]
    assert row["requests"] == len(fixed) and row["mean k"] == 12
    assert np.isclose(row["log ppl median"], (fixed["nll"] / fixed["scored_tokens"]).median())
    assert main(["report", str(split_run), str(runs["other_seed"]), "--out", str(out)]) == 0
    assert "did not meet the same channel" in out.read_text() and "seed" in out.read_text()
