"""`layersplit sweep`: real ns-3 points (1 simulated second each) on a local process pool and on Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from cosim.cli import main
from cosim.sweep.runner import expand, load_sweep, run_sweep
from cosim.sweep.store import SweepDir

CELL = {
    "name": "sw", "duration_s": 1.0, "seed": 1,
    "radio": {"bandwidth_rbs": 25, "rlc_mode": "UM"},
    "ue_groups": [{"count": 1, "placement": {"kind": "disc", "radius_min_m": 20, "radius_max_m": 300}}],
    "probes": [{"direction": "ul", "ue": "all", "bytes": 20000, "period_ms": 100, "start_s": 0.2}],
}
GOOD = [{"radio.rlc_mode": "UM"}, {"radio.rlc_mode": "AM", "ue_groups.0.count": 2}, {"seed": 5}]
BAD = {"radio.rlc_modee": "AM"}


def _sweep_file(folder, points, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cell.yaml").write_text(yaml.safe_dump(CELL))
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({"base": "cell.yaml", "seed": 7, "points": points, **extra}))
    return path


def _tables(root):
    store = SweepDir(root)
    return {t: store.read(t) for t in store.tables()}


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    path = _sweep_file(tmp, GOOD + [BAD], workers=2)
    done = run_sweep(path, out=tmp / "local", progress=False)
    return path, done


def test_points_and_seeds_are_fixed_by_the_sweep():
    spec_points = [{"a": 1}, {"a": 2}, {"seed": 5}]
    spec = load_sweep_from(spec_points, seed=7)
    again = load_sweep_from(spec_points + [{"a": 3}], seed=7)
    other = load_sweep_from(spec_points, seed=8)
    seeds = {p.id: p.seed for p in expand(spec)}
    assert {p.id: p.seed for p in expand(again) if p.id in seeds} == seeds  # adding points keeps seeds
    assert [p.seed for p in expand(other)][:2] != [p.seed for p in expand(spec)][:2]
    assert expand(spec)[2].seed == 5 and len(set(seeds.values())) == 3


def load_sweep_from(points, seed, tmp=None):
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    (folder / "cell.yaml").write_text(yaml.safe_dump(CELL))
    (folder / "s.yaml").write_text(yaml.safe_dump({"base": "cell.yaml", "seed": seed, "points": points}))
    return load_sweep(folder / "s.yaml")


def test_a_bad_override_fails_alone_with_its_error(local_sweep, capsys):
    path, done = local_sweep
    store = SweepDir(done["dir"])
    assert done["counts"] == {"ok": 3, "failed": 1}
    (bad,) = [e for e in store.points.values() if e["status"] == "failed"]
    assert bad["values"] == BAD and bad["error"].startswith("ConfigError: radio.rlc_modee: unknown key")
    slots = store.read("slots")
    ok = {pid for pid, e in store.points.items() if e["status"] == "ok"}
    assert set(slots["point"]) == ok
    for pid in ok:  # each point ran with its manifest seed and the swept values, saved beside its traces
        config = yaml.safe_load((done["dir"] / "points" / pid / "config.yaml").read_text())
        rows = slots[slots["point"] == pid]
        assert (rows["seed"] == store.points[pid]["seed"]).all() and config["seed"] == store.points[pid]["seed"]
        assert rows["ue"].nunique() == config["ue_groups"][0]["count"]
        assert (rows["radio.rlc_mode"].fillna("UM") == config["radio"]["rlc_mode"]).all()
    assert main(["sweep", "status", str(done["dir"])]) == 0
    out = capsys.readouterr().out
    assert "4 points: 1 failed, 3 ok" in out and "radio.rlc_modee: unknown key" in out


def test_ray_gives_the_same_merged_results_as_the_local_pool(local_sweep, tmp_path):
    path, done = local_sweep
    ray_done = run_sweep(path, out=tmp_path / "ray", executor="ray", workers=2, progress=False)
    assert ray_done["counts"] == done["counts"]
    local, ray = _tables(done["dir"]), _tables(ray_done["dir"])
    assert set(local) == {"slots", "packets"} == set(ray)
    for name in local:
        pd.testing.assert_frame_equal(local[name], ray[name])


def test_a_killed_sweep_finishes_only_the_missing_points(tmp_path):
    # longer points (3 simulated s, 3 UEs: a few hundred ms each) so the kill lands between them
    sweep = _sweep_file(tmp_path, GOOD + [{"radio.rlc_mode": "AM"}], workers=1,
                        set={"duration_s": 3.0, "ue_groups.0.count": 3})
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "cosim.cli", "sweep", str(sweep), "--out", str(out), "--no-progress"],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            manifest = out / "manifest.json"
            if manifest.is_file() and '"ok"' in manifest.read_text():
                break
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep, its workers and their ns-3 programs
        proc.wait()
    first = {pid for pid, e in SweepDir(out).points.items() if e["status"] == "ok"}
    assert 1 <= len(first) < 4
    again = run_sweep(sweep, out=out, progress=False)
    assert set(again["ran"]) == set(SweepDir(out).points) - first and again["counts"] == {"ok": 4}
    whole = run_sweep(sweep, out=tmp_path / "whole", workers=2, progress=False)
    assert whole["counts"] == {"ok": 4}
    resumed, uninterrupted = _tables(out), _tables(whole["dir"])
    assert set(resumed) == {"slots", "packets"} == set(uninterrupted)
    for name in resumed:
        pd.testing.assert_frame_equal(resumed[name], uninterrupted[name])
    seeds = {pid: (e["seed"], e["status"]) for pid, e in json.loads((out / "manifest.json").read_text())["points"].items()}
    assert seeds == {pid: (e["seed"], e["status"]) for pid, e in SweepDir(whole["dir"]).points.items()}
