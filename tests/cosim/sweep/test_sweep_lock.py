"""One writer per sweep folder: a second sweep on a folder in use is refused at once, naming the
folder and the holder; the lock dies with its holder (SIGKILL too), so a resume is never blocked.
Real `layersplit sweep` processes, real ns-3 points."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from cosim.run.rundir import folder_lock
from cosim.testing.runs import LAYERSPLIT

CELL = {"name": "lk", "duration_s": 1.0, "seed": 1, "ue_groups": [{"count": 1}],
        "probes": [{"direction": "ul", "bytes": 3000, "period_ms": 100, "start_s": 0.1}]}
HOLD = "import sys, time\nfrom cosim.run.rundir import folder_lock\nwith folder_lock(sys.argv[1]):\n" \
       "    print('held', flush=True)\n    time.sleep(120)\n"


def _sweep_file(folder, **cell):
    (folder / "cell.yaml").write_text(yaml.safe_dump({**CELL, **cell}))
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump({"base": "cell.yaml", "points": [{"seed": 1}, {"seed": 2}], "workers": 1}))
    return path


def _sweep(spec, out):
    return subprocess.Popen([*LAYERSPLIT, "sweep", str(spec), "--out", str(out), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_sweep_on_a_folder_in_use_is_refused_at_once_and_a_killed_holder_frees_it(tmp_path):
    out = tmp_path / "d out"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        second = _sweep(_sweep_file(tmp_path), out)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1 and time.monotonic() - t0 < 30
        assert err.startswith(f"layersplit sweep: error: --out: {out} is in use by pid {holder.pid} on "), err
        assert not (out / "manifest.json").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
    with folder_lock(out):  # the kernel dropped the killed holder's lock
        with pytest.raises(FileExistsError, match=rf"is in use by pid {os.getpid()} "):
            with folder_lock(out):
                pass


def test_a_second_sweep_on_a_running_sweeps_folder_is_refused_and_the_first_completes(tmp_path):
    spec, out = _sweep_file(tmp_path, duration_s=10.0), tmp_path / "both"
    first = _sweep(spec, out)
    lock = out / ".layersplit-lock"
    deadline = time.monotonic() + 60
    while not (lock.is_file() and lock.read_text().startswith(f"pid {first.pid} ")):
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    second = _sweep(spec, out)
    _, refused = second.communicate(timeout=60)
    assert first.poll() is None  # still running: the refusal was not a resume after it ended
    assert second.returncode == 1 and f"--out: {out} is in use by pid {first.pid} on " in refused, refused
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    manifest = (out / "manifest.json").read_text()
    assert manifest.count('"status": "ok"') == 2 and "pending" not in manifest
