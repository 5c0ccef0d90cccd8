"""The results pages' figures tables are benchmarks/render_results.py's output from the committed
benchmarks/results/*.json, and the renderer and the benchmarks' --save record do what they say."""

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    """A module of benchmarks/ by its path (benchmarks/ is run as scripts, not installed)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load("render_results")
record = _load("record")


@pytest.mark.parametrize("page", sorted(render.PAGES))
def test_page_is_current(page):
    text = (ROOT / page).read_text()
    expected = render.render_page(text, render.for_page(render.load_records(), page), page)
    assert text == expected, f"{page} differs from the committed results: run python benchmarks/render_results.py"


def test_every_record_is_on_a_page():
    records = render.load_records()
    assert records, "no benchmarks/results/*.json"
    on_pages = [r["file"] for page in render.PAGES for r in render.for_page(records, page)]
    assert sorted(on_pages) == sorted(r["file"] for r in records)


SETUP = {"cpu": "Test CPU", "cores": 2, "memory_gb": 8.0, "load_start": [1.5, 1.0, 0.5], "load_end": [2.25, 1.0, 0.5],
         "date": "2030-01-02T03:04:05Z", "python": "3.11.0", "wall_s": 1.0, "git_commit": "0123456789abcdef",
         "git_dirty": False}
LTE = {"benchmark": "lte_speed", "command": "python benchmarks/speed/lte_speed.py --quick --save",
       "options": {"repeat": 3, "quick": True}, "setup": SETUP,
       "figures": {"ues": [1, 8, 32], "sim_s_per_wall_s": [49.8, 5.55, 1.19],
                   "bridge_off_sim_s_per_wall_s": [52.2, 5.82, 1.19], "no_records_sim_s_per_wall_s": [60.1, 7.0, 1.5],
                   "streaming_end_to_end_sim_s_per_wall_s": [20.0, 4.0, 1.0]}}
OTHER = {"benchmark": "new_bench", "command": "python benchmarks/speed/new_bench.py --save", "options": {},
         "setup": {**SETUP, "git_dirty": True}, "figures": {"rate": 1234.5678, "per_k": {"1": 0.5}, "ok": True}}
PAGE = "# Title\n\nProse before.\n\n{begin}\nold | row\n{end}\n\nProse after.\n"


def _fixture(tmp_path: Path) -> list[dict]:
    results = tmp_path / "results"
    results.mkdir()
    (results / "zz_lte.json").write_text(json.dumps(LTE))
    (results / "aa_other.json").write_text(json.dumps(OTHER))
    return render.load_records(results)


def test_renderer_on_a_fixture(tmp_path):
    records = _fixture(tmp_path)
    assert [r["benchmark"] for r in records] == ["lte_speed", "new_bench"]  # known benchmarks first
    page = PAGE.format(begin=render.BEGIN, end=render.END)
    out = render.render_page(page, records)
    assert out.startswith("# Title\n\nProse before.\n\n" + render.BEGIN + "\n" + render.HEADER + "\n")
    assert out.endswith(render.END + "\n\nProse after.\n") and "old | row" not in out
    rows = out.split(render.HEADER + "\n")[1].split("\n" + render.END)[0].splitlines()
    assert len(rows) == 4 + 3  # lte_speed: four figures; the generic formatter: one row per key
    assert rows[0] == ("| LTE cell (50 RBs, 200 kb/s CBR up and down per UE), simulated s per wall s, 1 / 8 / 32 UEs, "
                       "best of 3, --quick: streaming through the bridge | 49.8 / 5.55 / 1.19 | "
                       "`python benchmarks/speed/lte_speed.py --quick --save` | "
                       "Test CPU x 2, load 1.5 -> 2.25, 2030-01-02, 012345678 |")
    assert rows[4] == ("| rate | 1,235 | `python benchmarks/speed/new_bench.py --save` | "
                       "Test CPU x 2, load 1.5 -> 2.25, 2030-01-02, 012345678 + local changes |")
    assert rows[5].startswith("| per_k | 1 0.500 |") and rows[6].startswith("| ok | true |")
    assert render.render_page(out, records) == out  # a second run changes nothing
    assert render.for_page(records, "docs/reliability.md") == []


def test_renderer_refuses_a_page_without_one_region(tmp_path):
    records = _fixture(tmp_path)
    with pytest.raises(ValueError, match="one generated region"):
        render.render_page("# no region\n", records)
    with pytest.raises(ValueError, match="one generated region"):
        render.render_page(f"{render.BEGIN}\n{render.END}\n{render.BEGIN}\n{render.END}\n", records)


def test_renderer_refuses_a_record_without_its_setup(tmp_path):
    (tmp_path / "bare.json").write_text(json.dumps({"benchmark": "x", "figures": {}}))
    with pytest.raises(ValueError, match="no 'command'"):
        render.load_records(tmp_path)


def test_save_writes_the_figures_with_the_setup(tmp_path, monkeypatch, capsys):
    script = ROOT / "benchmarks" / "speed" / "lte_speed.py"
    out = tmp_path / "lte.json"
    monkeypatch.setattr(sys, "argv", [str(script), "--repeat", "1", "--save", str(out)])
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    record.add_save_option(ap)
    run = record.Run(ap.parse_args())
    assert run.save({"ues": [1]}) == out
    rec = json.loads(out.read_text())
    assert rec["benchmark"] == "lte_speed" and rec["figures"] == {"ues": [1]}
    assert rec["command"] == f"python benchmarks/speed/lte_speed.py --repeat 1 --save {out}"
    assert rec["options"] == {"repeat": 1}
    assert {"cpu", "cores", "load_start", "load_end", "date", "wall_s", "git_commit"} <= set(rec["setup"])
    assert len(rec["setup"]["load_start"]) == 3
    # without --save nothing is written
    monkeypatch.setattr(sys, "argv", [str(script)])
    assert record.Run(ap.parse_args()).save({"ues": [1]}) is None
