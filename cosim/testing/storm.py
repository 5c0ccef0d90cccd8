"""The crash storm: `layersplit run` stopped at a random moment by a random signal on a random
side, and what must hold afterwards. Used by tests/hardening/test_crash_storm.py (20 stops) and
benchmarks/studies/reliability.py (100 stops, with timings)."""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from cosim.bridge import segments
from cosim.testing.runs import CELL, alive, check_traces, meta, ns3_child, start, write_config

SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGSTOP)
SIDES = ("ns3", "python")
STALL_S = 2.0   # --stall-timeout of the storm's runs: a SIGSTOPped ns-3 is found after this
HANG_S = 60.0   # nothing may take longer than this to end (a hang, not a slow stop)


@dataclass
class Stop:
    side: str
    sig: str
    detected_s: float  # signal to the end of the run (Python side killed: to the end of ns-3)
    outcome: str       # meta.json status, or "killed" when Python itself was killed
    slots: int         # slot records readable afterwards, in order without gaps (-1: not so)
    leaked: int        # segments of this run left in /dev/shm


def stop_once(tmp: Path, rng: random.Random, side: str | None = None, sig: signal.Signals | None = None) -> Stop:
    side = side or rng.choice(SIDES)
    sig = sig or rng.choice(SIGNALS)
    out = tmp / f"run-{side}-{sig.name}-{rng.randrange(10**9)}"
    config = write_config(tmp / "storm.yaml", {**CELL, "seed": rng.randrange(1, 1000)})
    proc = start(config, out, "--stall-timeout", str(STALL_S))
    try:
        ns3 = ns3_child(proc, out, journal_bytes=rng.randrange(5_000, 400_000))
        time.sleep(rng.uniform(0, 0.5))
        target = ns3 if side == "ns3" else proc.pid
        t0 = time.monotonic()
        os.kill(target, sig)
        if side == "python" and sig == signal.SIGSTOP:
            time.sleep(rng.uniform(0.2, 1.0))  # a stopped Python holds ns-3 waiting; nothing is lost
            os.kill(proc.pid, signal.SIGCONT)
            time.sleep(0.3)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)  # the run goes on after SIGCONT; end it the clean way
        proc.communicate(timeout=HANG_S)
        while alive(ns3) and time.monotonic() - t0 < HANG_S:
            time.sleep(0.01)
        detected = time.monotonic() - t0
        if alive(ns3):
            raise AssertionError(f"ns-3 (pid {ns3}) outlived the run")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    python_killed = side == "python" and sig == signal.SIGKILL
    outcome = "killed" if python_killed else meta(out)["status"]
    try:
        slots = check_traces(out, parquet=not python_killed)
    except AssertionError:
        slots = -1  # the run folder stays for a look (the benchmark prints it)
        print(f"records lost or out of order in {out}")
    leaked = [n for n in segments.existing() if segments.owner_pid(n) == proc.pid]
    return Stop(side, sig.name, detected, outcome, slots, len(leaked))


def expected_outcome(stop: Stop) -> str:
    if stop.side == "python":
        return "killed" if stop.sig == "SIGKILL" else "stopped"
    return "failed"  # ns-3 died (PeerGone) or stalled (Stalled)
