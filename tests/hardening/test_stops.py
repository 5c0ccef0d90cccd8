"""SIGTERM and SIGHUP end a run as Ctrl-C does, and a stalled simulator is an error naming it:
real `layersplit run` processes with the real lte_cell program."""

from __future__ import annotations

import os
import signal
import numpy as np
import pytest

from cosim.testing.runs import CELL, SESSION, alive, check_traces, meta, ns3_child, start, write_config


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_stop_signal_ends_a_cell_run_cleanly(tmp_path, sig):
    out = tmp_path / "run"
    proc = start(write_config(tmp_path / "c.yaml", CELL), out)
    ns3 = ns3_child(proc, out)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig
    assert err.strip().endswith(f"stopped by {sig.name}; what ran so far is kept") and "Traceback" not in err
    assert meta(out)["status"] == "stopped" and sig.name in meta(out)["error"]
    assert check_traces(out) > 0
    assert not alive(ns3)


def test_sigterm_ends_a_split_session_cleanly_with_its_requests(tmp_path):
    import pandas as pd

    out = tmp_path / "run"
    proc = start(write_config(tmp_path / "s.yaml", SESSION), out)
    ns3 = ns3_child(proc, out, timeout_s=300, journal_bytes=400_000)  # several simulated seconds
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "Traceback" not in err, err
    assert meta(out)["status"] == "stopped"
    check_traces(out)
    requests = pd.read_parquet(out / "requests.parquet")
    assert len(requests) >= 1
    assert not alive(ns3)


def test_stopped_simulator_is_a_stall_error_naming_it(tmp_path):
    out = tmp_path / "run"
    proc = start(write_config(tmp_path / "c.yaml", CELL), out, "--stall-timeout", "1.5")
    ns3 = ns3_child(proc, out)
    os.kill(ns3, signal.SIGSTOP)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if alive(ns3):
            os.kill(ns3, signal.SIGKILL)
    assert proc.returncode == 1 and err.count("\n") == 1, err
    assert f"(lte_cell, pid {ns3}) made no simulated progress for" in err and "stopped (SIGSTOP" in err
    assert meta(out)["status"] == "failed" and meta(out)["error"].startswith("Stalled")
    assert check_traces(out) > 0
    assert not alive(ns3)


@pytest.mark.parametrize("moment", ["after_collect", "mid_collect"])
def test_records_taken_from_the_rings_reach_the_traces_whatever_the_moment(tmp_path, moment):
    """A stop right after collect() returned (before the caller wrote the batch) or during a
    collect that had read part of a grant: the traces still hold every record once, in order."""
    from cosim import Simulation
    from cosim.outputs.traces import TraceWriter, read_slots

    with TraceWriter(tmp_path) as traces, \
            Simulation("slot_clock", ["--ues=2", "--duration-ms=100000"], stall_timeout_s=0.3) as sim:
        traces.follow(sim)
        traces.write(*sim.advance(50 * 1_000_000))
        if moment == "after_collect":
            sim.advance(120 * 1_000_000)  # returned, never written: as if a signal came here
        else:
            sim.grant(10**9 * 1_000_000)
            while sim.pending_slots < 140:  # records of this grant wait in the ring
                pass
            os.kill(sim.pid, signal.SIGSTOP)  # a stall ends the collect after it read them
            with pytest.raises(Exception, match="made no simulated progress"):
                sim.collect()
    slots = read_slots(tmp_path)
    assert np.array_equal(slots["seq"].to_numpy(), np.arange(len(slots)))
    assert len(slots) >= 2 * 120


def test_a_stop_while_deferred_blocks_signals_does_not_leave_them_blocked(monkeypatch):
    """A handler may run right after any call returns, so a stop can land just after deferred()
    blocked the stop signals: the mask must come back, or this thread and every process it starts
    (children inherit the mask) would ignore Ctrl-C for good."""
    from cosim.bridge import signals

    real = signal.pthread_sigmask

    def stop_right_after_blocking(how, mask):
        old = real(how, mask)
        if how == signal.SIG_BLOCK and set(mask) & set(signals.STOP_SIGNALS):
            raise KeyboardInterrupt  # what Python's SIGINT handler does at that point
        return old

    before = real(signal.SIG_BLOCK, ())
    monkeypatch.setattr(signals.signal, "pthread_sigmask", stop_right_after_blocking)
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals.deferred():
                pass
        monkeypatch.undo()
        after, depth = real(signal.SIG_BLOCK, ()), signals._deferring["depth"]
    finally:  # a failure here must not leave the rest of the suite with the signals blocked
        real(signal.SIG_SETMASK, before)
        signals._deferring["depth"] = 0
    assert after == before and depth == 0


def _wait_for_requests(proc, journal, n: int, timeout_s: float = 300) -> None:
    """Until the run's request journal holds at least n requests (rows, counted by reading it)."""
    import time

    from cosim.outputs.traces import read_requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {n} requests: {proc.communicate()}")
        if journal.exists() and len(read_requests(journal.parent)) >= n:
            return
        time.sleep(0.2)
    raise TimeoutError(f"no {n} finished requests in {timeout_s} s")


def test_sigkill_of_a_split_run_keeps_every_finished_request(tmp_path):
    """Killed with no chance to clean up, a split run leaves its requests journal: every request
    that finished, once, and those whose deferred quality was still to come marked so."""
    import time

    from cosim.outputs.traces import read_requests

    out = tmp_path / "run"
    proc = start(write_config(tmp_path / "s.yaml", SESSION), out)
    ns3 = ns3_child(proc, out, timeout_s=300)
    _wait_for_requests(proc, out / "requests.parquet.arrows", 3)
    proc.kill()
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while alive(ns3) and time.monotonic() < deadline:  # ns-3 notices its peer is gone
        time.sleep(0.05)
    assert not alive(ns3)
    assert not (out / "requests.parquet").exists()
    requests = read_requests(out)
    # One UE serves its requests one at a time, in arrival order: the finished ones are 0..n-1.
    assert list(requests["request"]) == list(range(len(requests))) and len(requests) >= 3
    pending = requests[requests["quality_pending"]]
    assert len(pending) >= 1 and pending["nll"].isna().all()  # fewer than a 64-request batch: none resolved
    assert (requests["latency_s"] > 0).all() and (requests["packets"] > 0).all()  # the timing is there
