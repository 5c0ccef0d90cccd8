"""Process trees from /proc, for the checks that every child dies with its parent (issue 29):
a process's descendants, what each one is, and which of them are still alive."""

from __future__ import annotations

import time
from pathlib import Path

from cosim.testing.runs import alive  # a zombie counts as gone


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (every thread's), from /proc."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for kid in children(todo.pop()):
            out.append(kid)
            todo.append(kid)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def survivors(pids, within_s: float, poll_s: float = 0.1) -> list[int]:
    """Those of ``pids`` still alive after waiting up to ``within_s`` for all of them to end."""
    deadline = time.monotonic() + within_s
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(poll_s)
        left = [p for p in left if alive(p)]
    return left


def wait_for(predicate, timeout_s: float, poll_s: float = 0.2):
    """Polls ``predicate()`` until it returns something true (returned) or the time is up (None)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    return None
