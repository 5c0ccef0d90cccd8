"""The NR examples run through the same commands as LTE: layersplit run, trace summary, plot, and
(slow: SmolLM2 on the CPU) a split session with its report."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.cli import main
from testkit.cells import Run

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


@pytest.mark.parametrize("name,duration", [("nr_fr1", 0.5), ("nr_fr2", 0.3)])
def test_example_runs_with_the_lte_commands(tmp_path, capsys, name, duration):
    out = tmp_path / name
    assert main(["run", str(EXAMPLES / f"{name}.yaml"), "--out", str(out), "--no-progress",
                 "--set", f"duration_s={duration}"]) == 0
    run = Run(out)
    mu = run.config["radio"]["numerology"]
    n_ues = sum(g["count"] for g in run.config["ue_groups"])
    assert len(run.slots) == round(duration * 1000 * 2**mu) * n_ues
    assert run.slots.dl_sinr_db.notna().mean() > 0.9
    assert len(run.packets) > 0 and (run.packets.t_recv_ns > 0).any()
    capsys.readouterr()
    assert main(["trace", "summary", str(out)]) == 0
    assert f"{n_ues - 1} " in capsys.readouterr().out  # one row per UE
    assert main(["plot", str(out)]) == 0
    assert (out / "channel.png").stat().st_size > 0


@pytest.mark.slow
def test_split_nr_session_and_report(tmp_path):
    out = tmp_path / "split"
    assert main(["run", str(EXAMPLES / "split_nr.yaml"), "--out", str(out), "--no-progress",
                 "--set", "duration_s=3"]) == 0
    import pandas as pd

    requests = pd.read_parquet(out / "requests.parquet")
    assert len(requests) > 0 and requests.latency_s.gt(0).all()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").stat().st_size > 0
