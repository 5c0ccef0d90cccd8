"""The shared-memory bridge, driven through cosim.Simulation against the real ns-3 program
ns3_scenarios/slot_clock.cc (ns-3 core libraries from the ns3 wheel)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from cosim import COMMAND_DTYPE, BridgeError, LayoutMismatch, PeerGone, Simulation

from cosim.bridge import segments
from cosim.bridge.launcher import _bridge
from cosim.testing.runs import alive

LAYOUT_VERSION = _bridge.LAYOUT_VERSION

MS = 1_000_000


def _wait_dead(pid: int, within_s: float) -> float:
    t0 = time.monotonic()
    while alive(pid):
        if time.monotonic() - t0 > within_s:
            raise AssertionError(f"process {pid} still alive after {within_s} s")
        time.sleep(0.01)
    return time.monotonic() - t0


def _run(ues: int, duration_ms: int, grant_ms: int, seed: int = 1, **kw):
    slots = []
    with Simulation("slot_clock", [f"--ues={ues}", f"--duration-ms={duration_ms}", f"--seed={seed}"], **kw) as sim:
        while not sim.finished:
            s, _ = sim.advance(sim.now_ns + grant_ms * MS)
            slots.append(s)
    return np.concatenate(slots)


def _check_sequence(slots: np.ndarray, ues: int, duration_ms: int) -> None:
    assert len(slots) == ues * duration_ms
    assert np.array_equal(slots["seq"], np.arange(len(slots)))
    assert np.array_equal(slots["t_ns"], np.repeat(np.arange(duration_ms) * MS, ues))
    assert np.array_equal(slots["ue"], np.tile(np.arange(ues), duration_ms))


@pytest.fixture(autouse=True)
def no_segment_left():
    """Every test must leave /dev/shm as it found it (no segment of this or a child process)."""
    before = set(segments.existing())
    yield
    assert set(segments.existing()) - before == set()


def test_sequence_survives_many_wraparounds():
    capacity = 256
    slots = _run(ues=4, duration_ms=1000, grant_ms=250, slot_capacity=capacity)
    assert len(slots) >= 3 * capacity * 5
    _check_sequence(slots, 4, 1000)


def test_lockstep_and_horizon_give_the_same_records():
    lockstep = _run(ues=3, duration_ms=200, grant_ms=1, seed=7)
    horizon = _run(ues=3, duration_ms=200, grant_ms=100, seed=7)
    _check_sequence(lockstep, 3, 200)
    assert lockstep.tobytes() == horizon.tobytes()


def test_full_ring_blocks_the_simulator_and_loses_nothing():
    with Simulation("slot_clock", ["--ues=2", "--duration-ms=500"], slot_capacity=64) as sim:
        sim.grant(500 * MS)
        time.sleep(0.3)
        assert sim.pending_slots == 64  # full, and the sim waits instead of overwriting
        assert alive(sim.pid)
        assert not sim.finished
        slots, _ = sim.collect(timeout_s=30)
        assert sim.finished
    _check_sequence(slots, 2, 500)


def test_commands_reach_the_simulator_and_come_back_as_events():
    cmds = np.zeros(3, COMMAND_DTYPE)
    cmds["kind"] = [1, 2, 1]
    cmds["ue"] = [0, 1, 1]
    cmds["bytes"] = [100, 200, 300]
    cmds["tag"] = [11, 22, 33]
    with Simulation("slot_clock", ["--ues=2", "--duration-ms=50"]) as sim:
        sim.advance(10 * MS)
        _, events = sim.advance(20 * MS, cmds)
    assert list(events["tag"]) == [11, 22, 33]
    assert list(events["bytes"]) == [100, 200, 300]
    assert list(events["direction"]) == [0, 1, 0]
    assert np.all(events["t_send_ns"] == 10 * MS)


def test_concurrent_runs_keep_their_own_data():
    sims = [Simulation("slot_clock", ["--ues=2", "--duration-ms=300", f"--seed={s}"], slot_capacity=128) for s in range(4)]
    other = subprocess.Popen([sys.executable, "-m", "cosim.cli", "demo", "--ues=2", "--duration-ms=3000"],
                             stdout=subprocess.PIPE, text=True)
    got = [[] for _ in sims]
    try:
        for t in range(10, 301, 10):  # interleaved grants, one process driving four simulations
            for sim in sims:
                sim.grant(t * MS)
            for i, sim in enumerate(sims):
                got[i].append(sim.collect(timeout_s=30)[0])
    finally:
        for sim in sims:
            sim.close()
    out, _ = other.communicate(timeout=60)
    assert other.returncode == 0 and "in sequence" in out
    runs = [np.concatenate(g) for g in got]
    for r in runs:
        _check_sequence(r, 2, 300)
    sinrs = [r["ul_sinr_db"].tobytes() for r in runs]
    assert len(set(sinrs)) == 4  # each seed its own values


def test_layout_version_mismatch_is_refused_naming_both_versions():
    with pytest.raises(LayoutMismatch, match=rf"layout version 999.*built with layout version {LAYOUT_VERSION}\b"):
        Simulation("slot_clock", ["--duration-ms=10"], layout_version=999)


def test_killed_simulator_is_an_error_within_two_seconds():
    with Simulation("slot_clock", ["--ues=1", "--duration-ms=100000000"]) as sim:
        sim.advance(10 * MS)
        sim.grant(10**9 * MS)  # streams for minutes; the kill lands while Python waits
        killer = threading.Timer(0.3, os.kill, (sim.pid, signal.SIGKILL))
        killer.start()
        t0 = time.monotonic()
        with pytest.raises(PeerGone, match="died.*killed by signal 9"):
            sim.collect()
        assert time.monotonic() - t0 < 0.3 + 2.0


def test_killed_simulator_before_a_grant_is_an_error():
    with Simulation("slot_clock", ["--duration-ms=1000"]) as sim:
        sim.advance(5 * MS)
        os.kill(sim.pid, signal.SIGKILL)
        _wait_dead(sim.pid, 2)
        t0 = time.monotonic()
        with pytest.raises(PeerGone):
            sim.advance(10 * MS)
        assert time.monotonic() - t0 < 2.0


_CHILD = textwrap.dedent("""
    import faulthandler, signal, sys, time
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # a stack dump if a test finds it stuck
    # Python leaves SIGINT ignored when it starts ignored (a background job of a script: `make
    # test &`); Ctrl-C in a terminal is the default handler, which is what these tests mean.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from cosim import Simulation
    sim = Simulation("slot_clock", ["--duration-ms=100000000"])
    print(sim.pid, flush=True)
    t = 0
    while True:
        t += 1_000_000
        sim.advance(t)
        time.sleep(0.001)
""")


def _start_child():
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sim_pid = int(child.stdout.readline())
    assert alive(sim_pid)
    return child, sim_pid


def test_killed_python_side_stops_the_simulator_within_two_seconds():
    child, sim_pid = _start_child()
    child.kill()
    child.communicate()
    assert _wait_dead(sim_pid, 2.0) < 2.0


def _communicate_or_dump(child, timeout: float) -> str:
    """The child's stderr once it exits; if it is still running after ``timeout``, its stacks
    (faulthandler) go into the failure and it is killed, so no process outlives the test."""
    try:
        return child.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGUSR1)
        time.sleep(0.5)
        child.kill()
        pytest.fail(f"the child did not exit within {timeout} s; its stacks:\n{child.communicate()[1][-4000:]}")


def test_ctrl_c_on_the_python_side_stops_both():
    child, sim_pid = _start_child()
    time.sleep(0.2)
    child.send_signal(signal.SIGINT)
    err = _communicate_or_dump(child, 5)
    assert "KeyboardInterrupt" in err
    assert _wait_dead(sim_pid, 2.0) < 2.0


def test_orphaned_segment_of_a_dead_launcher_is_removed_but_live_ones_are_kept():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = f"/dev/shm/{segments.PREFIX}{dead.pid}-0-deadbeef"
    mine = f"/dev/shm/{segments.PREFIX}{os.getpid()}-999-cafecafe"
    for path in (orphan, mine):
        open(path, "wb").close()
    try:
        removed = segments.remove_orphans()
        assert os.path.basename(orphan) in removed
        assert os.path.exists(mine)
    finally:
        for path in (orphan, mine):
            if os.path.exists(path):
                os.unlink(path)


def test_program_failing_before_attaching_reports_its_output(tmp_path):
    with pytest.raises(BridgeError, match="exited with status"):
        Simulation("slot_clock", ["--no-such-option=1"], log_path=tmp_path / "sim.log")


@pytest.mark.parametrize("field", ["slot_capacity", "event_capacity", "command_capacity"])
def test_ring_capacity_must_be_a_power_of_two(field):
    with pytest.raises(ValueError, match=f"{field} must be a power of two"):
        Simulation("slot_clock", **{field: 100})
