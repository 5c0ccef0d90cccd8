"""Starts an ns-3 program attached to a fresh bridge segment and drives it by grants."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from cosim.bridge import segments
from cosim.bridge.signals import deferred
from cosim.bridge.programs import bridge_module, program_path

_bridge = bridge_module()
BridgeError = _bridge.BridgeError
PeerGone = _bridge.PeerGone
LayoutMismatch = _bridge.LayoutMismatch
SLOT_DTYPE = _bridge.SLOT_DTYPE
EVENT_DTYPE = _bridge.EVENT_DTYPE
COMMAND_DTYPE = _bridge.COMMAND_DTYPE
CMD_UPLINK, CMD_DOWNLINK = 1, 2  # Command.kind (records.hpp: CommandKind)
# EventRecord.kind of a handover (records.hpp: EventKind) -> its name in handovers.parquet
HANDOVER_START = _bridge.EVENT_HANDOVER_START
HANDOVER_EVENTS = {HANDOVER_START: "start", _bridge.EVENT_HANDOVER_END: "end",
                   _bridge.EVENT_HANDOVER_FAILURE: "failure"}


def split_events(events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(packet events, handover events) of one batch of EVENT_DTYPE records, each in its order."""
    if not len(events):
        return events, events
    handover = events["kind"] >= HANDOVER_START
    return events[~handover], events[handover]

# Exit codes of ns3_scenarios/common/cosim-clock.h: RunWithBridge.
_EXIT_LAYOUT = 3
STALL_TIMEOUT_S = 60.0  # default: this long without simulated progress is an error (Stalled)
_READ_ALL = 1 << 40


class Stalled(BridgeError):
    """The program is alive but made no simulated progress for the stall timeout."""


def stall_timeout() -> float:
    """The default stall timeout: ``$LAYERSPLIT_STALL_TIMEOUT_S`` seconds, else STALL_TIMEOUT_S."""
    text = os.environ.get("LAYERSPLIT_STALL_TIMEOUT_S", "")
    try:
        value = float(text) if text else STALL_TIMEOUT_S
    except ValueError:
        value = -1.0
    if not 0 < value <= 1e6:
        raise ValueError(f"LAYERSPLIT_STALL_TIMEOUT_S: {text!r} is not a number of seconds in (0, 1e6]")
    return value
_ATTACH_HINT = ("A co-simulation program must attach to the segment named by --bridge: with your own ns-3 script, "
                "create a layersplit::CosimHelper, call AddCommandLine(cmd) before cmd.Parse(), Install(...) once the "
                "cell is built, and return cosim.Run() instead of calling Simulator::Run() "
                "(docs/own-scripts.md).")


class Simulation:
    """One ns-3 program running under the bridge.

    The program gets ``--bridge=NAME`` plus ``args``; this object grants it simulated time with
    :meth:`advance` and receives the slot and event records written meanwhile. Use it as a
    context manager: leaving the block (normally, by an exception or Ctrl-C) stops the program
    and removes the segment.

    Args:
        program: a program name under ``cosim/bin`` (e.g. ``"slot_clock"``) or a path.
        args: further command-line arguments for the program.
        slot_capacity, event_capacity, command_capacity: ring sizes in records (powers of two).
            A full ring blocks the simulator until Python drains it (nothing is dropped).
        start_timeout_s: how long the program may take to attach to the segment.
        stall_timeout_s: how long :meth:`collect` waits without any simulated progress (no record,
            no change of the simulated time) before it raises :class:`Stalled` naming the program
            and its process state (e.g. stopped by SIGSTOP, or running but stuck). Default:
            :func:`stall_timeout` (``$LAYERSPLIT_STALL_TIMEOUT_S``, which `layersplit run
            --stall-timeout` sets, else 60 s).
        log_path: file for the program's stdout and stderr (default: a temporary file); its tail
            is quoted in errors.
        layout_version: for tests only, to create a segment of another layout version.
    """

    def __init__(
        self,
        program: str | os.PathLike,
        args: Sequence[str] = (),
        *,
        slot_capacity: int = 1 << 16,
        event_capacity: int = 1 << 14,
        command_capacity: int = 1 << 12,
        start_timeout_s: float = 30.0,
        stall_timeout_s: float | None = None,
        log_path: str | os.PathLike | None = None,
        layout_version: int | None = None,
    ):
        segments.remove_orphans()
        path = Path(program) if os.sep in str(program) else program_path(str(program))
        if not Path(path).exists():
            raise FileNotFoundError(f"program: {path} does not exist")
        version = _bridge.LAYOUT_VERSION if layout_version is None else layout_version
        self._seg = _bridge.Segment(segments.unique_name(), slot_capacity, event_capacity, command_capacity, version)
        self.name = self._seg.name
        self._proc: subprocess.Popen | None = None
        self.stall_timeout_s = stall_timeout() if stall_timeout_s is None else float(stall_timeout_s)
        self._partial: tuple[list, list] = ([], [])  # records an interrupted collect() had read
        self._last = (np.empty(0, SLOT_DTYPE), np.empty(0, EVENT_DTYPE))  # what collect() returned last
        self._own_log = log_path is None  # a temporary log, removed on close (errors quote its tail)
        if self._own_log:
            fd, log_path = tempfile.mkstemp(prefix="layersplit-sim-", suffix=".log")
            os.close(fd)
        self._log_path = Path(log_path)
        try:
            with open(self._log_path, "wb") as log:
                self._proc = subprocess.Popen(
                    [str(path), f"--bridge={self.name}", *map(str, args)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    # Its own session: a terminal's Ctrl-C or a supervisor's group signal reaches
                    # Python only, which stops the program in order (it dies with Python anyway);
                    # and what the program starts stays in that session, which close() ends.
                    start_new_session=True,
                )
            self._seg.set_peer_pid(self._proc.pid)
            self._wait_attached(start_timeout_s)
        except BaseException:
            self.close()
            raise
        # Both sides have it mapped now; without a name nothing can outlive a crash.
        self._seg.unlink()

    # ---- running ----
    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def finished(self) -> bool:
        """True once the program reached the end of its simulated time."""
        return self._seg.sim_state == _bridge.SIM_FINISHED

    @property
    def now_ns(self) -> int:
        """Simulated time the program has reached (at its last stop)."""
        return self._seg.sim_now_ns

    @property
    def busy_s(self) -> float:
        """Wall seconds the program spent simulating (between a grant and its end), not waiting."""
        return self._seg.sim_busy_s

    @property
    def geometry(self) -> dict | None:
        """What the program built, as it published when attaching: ``{"ues": N, "cell_position":
        (x, y, z), "cells": [{"cell_id": id, "position": (x, y, z)}, ...]}`` (m; cell_position is the
        first cell's, cells every cell the helper hooked); None if it did not say (e.g. slot_clock)."""
        return self._seg.geometry

    @property
    def pending_slots(self) -> int:
        """Slot records written by the program and not yet read."""
        return self._seg.pending_slots

    def grant(self, until_ns: int, commands: np.ndarray | None = None) -> None:
        """Lets the program run up to ``until_ns`` (slots starting before it) without waiting;
        ``commands`` (an array of COMMAND_DTYPE) run first, at the current simulated time.
        Collect the records with :meth:`collect` before the next grant."""
        try:
            self._seg.grant(int(until_ns), commands)
        except PeerGone as exc:
            raise PeerGone(self._describe_death(str(exc))) from None

    def collect(self, timeout_s: float | None = None):
        """Waits until the last grant is done and returns ``(slots, events)``: structured arrays
        of SLOT_DTYPE and EVENT_DTYPE holding every record written meanwhile.
        Raises PeerGone (with the program's last output) when it died, Stalled when it made no
        progress for ``stall_timeout_s``, TimeoutError past timeout_s. After any exception,
        :meth:`leftover` returns the records read before it.
        """
        seg, slots, events = self._seg, [], []
        self._partial = (slots, events)
        t0 = last = time.monotonic()
        now_ns = seg.sim_now_ns
        try:
            while True:
                with deferred():  # records taken from the rings are kept, whatever signal comes
                    done = seg.done  # read before draining: records precede the ack
                    s, e = seg.read_slots(_READ_ALL), seg.read_events(_READ_ALL)
                    slots += [s] if len(s) else []
                    events += [e] if len(e) else []
                t = time.monotonic()
                if done or len(s) or len(e) or seg.sim_now_ns != now_ns:
                    last, now_ns = t, seg.sim_now_ns
                if done:
                    break
                if t - last > self.stall_timeout_s:
                    raise Stalled(self._describe_stall(t - last))
                if timeout_s is not None and t - t0 > timeout_s:
                    raise TimeoutError(f"bridge: the grant did not finish within {timeout_s} s")
                seg.wait()
        except PeerGone as exc:
            raise PeerGone(self._describe_death(str(exc))) from None
        with deferred():
            self._partial = ([], [])
            self._last = (_joined(slots, SLOT_DTYPE), _joined(events, EVENT_DTYPE))
        if seg.sim_state == _bridge.SIM_FAILED:
            raise BridgeError(f"simulation failed: {seg.sim_error}\n{self._log_tail()}")
        return self._last

    def leftover(self):
        """Every record the program wrote that a caller may not have stored yet, in order: the
        batch :meth:`collect` returned last (a stop may come before the caller stores it), what an
        interrupted collect had read, and what is still in the rings. Callers drop what they
        already have by ``seq`` (cosim.outputs.traces.TraceWriter does)."""
        slots, events = [self._last[0], *self._partial[0]], [self._last[1], *self._partial[1]]
        self._partial = ([], [])
        if self._seg is not None:
            slots = slots + [self._seg.read_slots(_READ_ALL)]
            events = events + [self._seg.read_events(_READ_ALL)]
        return _joined(slots, SLOT_DTYPE), _joined(events, EVENT_DTYPE)

    def advance(self, until_ns: int, commands: np.ndarray | None = None, timeout_s: float | None = None):
        """:meth:`grant` then :meth:`collect`. After the program finished, returns empty arrays."""
        if self.finished:
            return np.empty(0, SLOT_DTYPE), np.empty(0, EVENT_DTYPE)
        self.grant(until_ns, commands)
        return self.collect(timeout_s)

    # ---- stopping ----
    def close(self, timeout_s: float = 2.0) -> int | None:
        """Stops the program (asking first, then killing), then whatever it started that is still
        running (its session: a user's script may background a child), and removes the segment.
        Idempotent."""
        if self._seg is not None:
            self._seg.close()
            self._seg.unlink()
        code = None
        if self._proc is not None:
            if self._proc.poll() is None and _process_state(self._proc.pid).startswith("stopped"):
                self._proc.kill()  # a stopped program cannot take the polite way out
            try:
                code = self._proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                code = self._proc.wait()
            kill_session(self._proc.pid)
        if self._own_log:
            self._log_path.unlink(missing_ok=True)
        return code

    def __enter__(self) -> "Simulation":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- diagnostics ----
    def _wait_attached(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._seg.sim_state < _bridge.SIM_ATTACHED:
            code = self._proc.poll()
            if code is not None:
                tail = self._log_tail()
                if code == _EXIT_LAYOUT:
                    raise LayoutMismatch(f"{self._proc.args[0]} exited with status {code}:\n{tail}")
                hint = f"\n{_ATTACH_HINT}" if code == 0 or "Invalid command-line argument" in tail else ""
                raise BridgeError(f"{self._proc.args[0]} exited with status {code} before attaching to the bridge:\n"
                                  f"{tail}{hint}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self._proc.args[0]} did not attach to the bridge within {timeout_s} s:\n{self._log_tail()}")
            self._seg.wait()

    def _describe_stall(self, idle_s: float) -> str:
        return (f"bridge: the simulation ({Path(self._proc.args[0]).name}, pid {self._proc.pid}) made no simulated "
                f"progress for {idle_s:.1f} s (stall timeout {self.stall_timeout_s:g} s) at t = "
                f"{self._seg.sim_now_ns / 1e9:.3f} s; its process is {_process_state(self._proc.pid)}")

    def _describe_death(self, message: str) -> str:
        code = self._proc.poll()
        status = f"exit status {code}" if code is not None and code >= 0 else f"killed by signal {-code}" if code else "no status"
        return f"{message} ({status})\n{self._log_tail()}"

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self._log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


def kill_session(sid: int) -> list[int]:
    """SIGKILLs every process left in session ``sid`` or process group ``sid`` (a program started
    with start_new_session=True leads both), once the program itself has ended: a child it put in
    the background (``(sleep 100 &); exit 0``) or in a group of its own. Returns their pids.

    The leader's own pid is skipped: it was reaped already, so that number may belong to a new,
    unrelated process. (Its members keep the number from reuse while any of them lives.) A child
    that started a session of its own (setsid, a daemon's double fork) is beyond reach here."""
    killed = []
    for pid, pgrp, session in _process_groups():
        if pid != sid and sid in (pgrp, session) and _process_state(pid) != "a zombie":
            try:
                os.kill(pid, signal.SIGKILL)  # the program is gone: its leftovers get no polite stop
                killed.append(pid)
            except OSError:  # ended meanwhile
                pass
    return killed


def _process_groups():
    """(pid, process group, session) of every process, from /proc (nothing where it is missing)."""
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):  # ended meanwhile
                continue
            yield int(entry.name), int(fields[2]), int(fields[3])


def _joined(parts: list, dtype) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    return np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else np.empty(0, dtype)


_STATES = {"T": "stopped (SIGSTOP or a debugger)", "t": "stopped by a debugger", "D": "waiting on the disk",
           "Z": "a zombie", "R": "running but stuck", "S": "sleeping but stuck"}


def _process_state(pid: int) -> str:
    """What /proc says the process is doing, in words."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"
    return _STATES.get(state, f"in state {state}")
