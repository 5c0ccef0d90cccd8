"""A program's own children end with it (issue 29): whatever a program started and left running,
in the background or in a process group of its own, is killed when the Simulation closes, whether
the program ran to its end, failed before attaching, or was stopped by a signal to Python.
Real processes: a shell script that backgrounds a child, then runs the real slot_clock program."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from cosim import BridgeError, Simulation
from cosim.bridge.programs import program_path
from cosim.testing.procs import survivors
from cosim.testing.runs import alive

MS = 1_000_000


def _script(tmp_path, then: str):
    """A program that puts `sleep 100` in the background (pid in bg.pid), and one in a process
    group of its own (pid in grp.pid), then runs ``then``."""
    path = tmp_path / "prog.sh"
    path.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        (sleep 100 & echo $! > {tmp_path}/bg.pid)
        {sys.executable} -c 'import os, subprocess; os.setpgid(0, 0); p = subprocess.Popen(["sleep", "100"]); open("{tmp_path}/grp.pid", "w").write(str(p.pid))' &
        while [ ! -s {tmp_path}/grp.pid ] || [ ! -s {tmp_path}/bg.pid ]; do sleep 0.05; done
        {then}
        """))
    path.chmod(0o755)
    return path


def _children(tmp_path) -> list[int]:
    return [int((tmp_path / f).read_text()) for f in ("bg.pid", "grp.pid")]


def test_children_of_a_program_that_ran_to_its_end_are_killed_at_close(tmp_path):
    prog = _script(tmp_path, f'exec {program_path("slot_clock")} "$@"')
    with Simulation(prog, ["--ues=1", "--duration-ms=20"]) as sim:
        while not sim.finished:
            sim.advance(sim.now_ns + 10 * MS)
        kids = _children(tmp_path)
        assert all(alive(p) for p in kids)
    assert survivors(kids, within_s=2) == []


def test_children_of_a_program_that_exits_before_attaching_are_killed(tmp_path):
    prog = _script(tmp_path, "exit 0")
    with pytest.raises(BridgeError, match="exited with status 0 before attaching"):
        Simulation(prog, ["--ues=1"], start_timeout_s=30)
    assert survivors(_children(tmp_path), within_s=2) == []


def test_children_of_a_program_are_killed_when_python_is_stopped_by_sigterm(tmp_path):
    """`layersplit run` on an own program that backgrounds a child; SIGTERM to Python mid-run."""
    prog = _script(tmp_path, f'exec {program_path("slot_clock")} "$@"')
    code = textwrap.dedent(f"""
        from cosim.bridge.signals import stop_on_signals
        from cosim import Simulation
        with stop_on_signals(), Simulation({str(prog)!r}, ["--ues=1", "--duration-ms=600000"]) as sim:
            print("attached", flush=True)
            while True:
                sim.advance(sim.now_ns + 10_000_000)
        """)
    py = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert py.stdout.readline().strip() == "attached", py.stderr.read()
        kids = _children(tmp_path)
        time.sleep(0.2)
        py.send_signal(signal.SIGTERM)
        py.communicate(timeout=30)
        assert survivors(kids, within_s=2) == []
    finally:
        py.kill()
        py.communicate()
