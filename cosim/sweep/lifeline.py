"""Pool workers die with the process that started them.

A SIGKILLed sweep driver used to leave its pool workers running their points with parent 1 for
minutes, and with them multiprocessing's ``resource_tracker``, which ends only when the last
process holding its pipe does (issue 29). :func:`tie_to_parent`, the pool's initialiser, ties
each worker to its parent two ways, both ending in the same SIGTERM handler:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel signals the worker the moment its
  parent goes;
- anywhere, a daemon thread that looks at the parent's pid every :data:`POLL_S` seconds: the
  fallback where prctl is missing or the pool was started by another thread than the main one
  (the kernel's signal follows the parent *thread* that started the worker, not the process).

The same handler serves a driver that stops early (Ctrl-C, SIGTERM, an error): it SIGTERMs its
workers (:func:`stop_workers`) rather than wait for their running points to finish.

The handler ends an idle worker at once. In a busy worker it raises :class:`ParentGone` inside the
task, so the task's ``with`` blocks stop its ns-3 program and remove its temporary folder, and then
:func:`exit_if_stopped` ends the process; a watchdog ends it after :data:`GRACE_S` whatever the
task does. The resource_tracker needs nothing of its own: it ends (cleaning up the semaphores the
pool left) once the driver and every worker have closed its pipe, that is, once they are gone.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

POLL_S = 1.0   # the fallback's look at the parent: the worst wait where prctl is missing
GRACE_S = 10.0  # a busy worker's time to clean up (stop its ns-3 program, remove its folder)
_PR_SET_PDEATHSIG = 1  # linux/prctl.h

_state = {"parent": None, "busy": False, "stopping": False}


class ParentGone(BaseException):
    """Raised in a pool worker's task when the process that started the pool is gone or stops the
    pool (a SIGTERM). A BaseException, so that no task's ``except Exception`` keeps it from ending
    the worker."""


def tie_to_parent(parent_pid: int, kernel: bool = True) -> None:
    """The pool initialiser: this worker ends when ``parent_pid`` does (module doc). ``kernel``:
    also ask the kernel, which is right only when the pool was started by the parent's main thread
    (the kernel's signal comes when the starting thread ends)."""
    _state["parent"] = parent_pid
    signal.signal(signal.SIGTERM, _on_term)
    if kernel:
        _ask_kernel(signal.SIGTERM)
    threading.Thread(target=_watch, args=(parent_pid,), name="layersplit-lifeline", daemon=True).start()
    if os.getppid() != parent_pid:  # it died before the tie was made: no signal will come
        os._exit(1)


def _ask_kernel(sig: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the polling thread is the tie
        pass


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)


def _orphaned() -> bool:
    return _state["parent"] is not None and os.getppid() != _state["parent"]


def _on_term(signum, frame) -> None:
    # Every SIGTERM is a stop with clean-up: the kernel's or the watcher's when the driver is gone,
    # the driver's own when it stops early (stop_workers), anyone else's alike.
    _state["stopping"] = True
    if not _state["busy"]:
        os._exit(1)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one clean-up; the watchdog bounds it
    threading.Timer(GRACE_S, os._exit, (1,)).start()
    why = (f"the process that started this worker (pid {_state['parent']}) is gone" if _orphaned()
           else "the sweep is stopping (SIGTERM)")
    raise ParentGone(why)


def stop_workers(processes) -> None:
    """SIGTERM to each live pool worker (``processes``: multiprocessing.Process objects): an idle
    one ends at once, a busy one cleans its point up first (at most :data:`GRACE_S`)."""
    for proc in processes:
        if proc.is_alive():
            proc.terminate()


class busy:
    """Marks a task running in this worker (a context manager): the handler raises in it then."""

    def __enter__(self):
        _state["busy"] = True

    def __exit__(self, *exc):
        _state["busy"] = False
        exit_if_stopped()


def exit_if_stopped() -> None:
    """Ends this worker now if its parent is gone or it was told to stop (after a task cleaned up,
    or returned anyway): otherwise it would wait for tasks from a queue nobody writes to."""
    if _orphaned() or _state["stopping"]:
        os._exit(1)
