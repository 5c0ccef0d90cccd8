"""Every child of a sweep dies with it (issue 29): a SIGKILLed `layersplit sweep` leaves no pool
worker, no multiprocessing resource_tracker and no ns-3 program behind, and the points' temporary
folders are removed. Real processes: the sweep driver, its spawn pool, real ns-3 points."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import yaml

from cosim.testing.procs import cmdline, descendants, survivors, wait_for
from cosim.testing.runs import LAYERSPLIT, alive

CELL = {"name": "kc", "duration_s": 600.0, "seed": 1, "ue_groups": [{"count": 1}],
        "probes": [{"direction": "ul", "bytes": 3000, "period_ms": 100, "start_s": 0.1}]}


def _running_sweep(tmp_path, workers: int = 2):
    (tmp_path / "cell.yaml").write_text(yaml.safe_dump(CELL))
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"base": "cell.yaml", "points": [{"seed": s} for s in range(1, workers + 1)],
                                    "workers": workers}))
    tmp = tmp_path / "tmp"  # the points' temporary folders land here (the workers inherit TMPDIR)
    tmp.mkdir()
    # Output to a file, not a pipe: orphaned workers would hold a pipe open and a read would wait on them.
    with open(tmp_path / "stderr.txt", "w") as err:
        driver = subprocess.Popen([*LAYERSPLIT, "sweep", str(spec), "--out", str(tmp_path / "out"), "--no-progress"],
                                  stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "TMPDIR": str(tmp)},
                                  start_new_session=True)
    return driver, tmp


def _ns3_programs(pid: int) -> list[int]:
    return [p for p in descendants(pid) if "/cosim/bin/" in cmdline(p)]


def test_a_killed_sweep_driver_takes_its_workers_tracker_and_ns3_programs_along(tmp_path):
    driver, tmp = _running_sweep(tmp_path)
    tree: list[int] = []
    try:
        assert wait_for(lambda: len(_ns3_programs(driver.pid)) >= 2, 240), \
            f"the points never started: {[cmdline(p) for p in descendants(driver.pid)]}"
        time.sleep(1.0)  # the programs run their cells
        tree = descendants(driver.pid)
        kinds = [cmdline(p) for p in tree]
        assert any("resource_tracker" in k for k in kinds), kinds
        assert sum("multiprocessing.spawn" in k for k in kinds) == 2, kinds
        t0 = time.monotonic()
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        left = survivors(tree, within_s=30)
        gone_s = time.monotonic() - t0
        assert not left, f"left running after the driver's SIGKILL: {[cmdline(p) for p in left]}"
        assert gone_s < 15, gone_s
        assert list(tmp.iterdir()) == []  # each worker's point cleaned up before the worker ended
    finally:
        for pid in [driver.pid, *tree]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_stopped_sweep_driver_stops_its_running_points_rather_than_wait_for_them(tmp_path):
    """SIGTERM (as timeout, Slurm and Docker send) to the driver: its workers stop their points,
    which clean up, instead of running them to the end (600 simulated s each here)."""
    driver, tmp = _running_sweep(tmp_path)
    tree: list[int] = []
    try:
        assert wait_for(lambda: len(_ns3_programs(driver.pid)) >= 2, 240)
        time.sleep(1.0)
        tree = descendants(driver.pid)
        t0 = time.monotonic()
        driver.send_signal(signal.SIGTERM)
        rc = driver.wait(timeout=60)
        left = survivors(tree, within_s=30)
        assert rc != 0 and not left, (rc, [cmdline(p) for p in left])
        stop_s = time.monotonic() - t0
        assert stop_s < 20  # the workers' clean-up is bounded by 10 s; the points' own end is minutes away
        assert list(tmp.iterdir()) == []
        err = (tmp_path / "stderr.txt").read_text()
        assert "Traceback" not in err, err
    finally:
        for pid in [driver.pid, *tree]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
