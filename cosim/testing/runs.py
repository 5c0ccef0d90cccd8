"""`layersplit run` as a child process, its ns-3 child, and checks of what a run (a stopped one
too) left behind. Failed checks raise AssertionError explicitly, so they hold under ``python -O``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import yaml

# `layersplit` as this interpreter runs it (the console script vanishes for a moment whenever
# the package is reinstalled; the module does not).
LAYERSPLIT = [sys.executable, "-m", "cosim.cli"]

CELL = {
    "name": "h", "duration_s": 600.0, "seed": 1,
    "radio": {"bandwidth_rbs": 25},
    "ue_groups": [{"count": 2, "placement": {"kind": "list", "positions": [[40, 0], [150, 0]]}}],
    "probes": [{"direction": "ul", "bytes": 3000, "period_ms": 40, "start_s": 0.1}],
}
SESSION = {
    "name": "hs", "duration_s": 600.0, "seed": 1,
    "radio": {"bandwidth_rbs": 50},
    "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
    "ue_groups": [{"count": 1, "placement": {"kind": "list", "positions": [[30, 0]]}}],
    "model": {"wire_dtype": "float16"},
    "requests": {"rate_per_s": 4.0, "prompt_tokens": 16, "windows": 2},
    "split": {"policy": "fixed", "k": 4},
}


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start(config: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*LAYERSPLIT, "run", str(config), "--out", str(out), "--no-progress", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ns3_child(proc: subprocess.Popen, out: Path, timeout_s: float = 120, journal_bytes: int = 20_000) -> int:
    """The pid of the run's ns-3 program, once ``journal_bytes`` of slot records are in the journal."""
    deadline = time.monotonic() + timeout_s
    journal = out / "slots.parquet.arrows"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before streaming: {proc.communicate()}")
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        if kids and journal.exists() and journal.stat().st_size > journal_bytes:
            return int(kids[0])
        time.sleep(0.05)
    raise TimeoutError("the run did not start streaming")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def meta(out: Path) -> dict:
    return json.loads((out / "meta.json").read_text())


def check_traces(out: Path, parquet: bool = True) -> int:
    """Every record kept is whole and in order (seq without gaps from 0); returns the slot count."""
    from cosim.outputs.traces import read_packets, read_slots

    if parquet:
        if not ((out / "slots.parquet").exists() and (out / "packets.parquet").exists()):
            raise AssertionError(f"{out}: slots.parquet or packets.parquet missing")
        if list(out.glob("*.arrows")):
            raise AssertionError(f"{out}: journals left unconverted: {sorted(out.glob('*.arrows'))}")
        pq.read_table(out / "packets.parquet")
    slots = read_slots(out)
    if not np.array_equal(slots["seq"].to_numpy(), np.arange(len(slots))):
        raise AssertionError(f"{out}: slot records out of order or with gaps (seq is not 0..{len(slots) - 1})")
    read_packets(out)
    return len(slots)
