"""Every hardening test leaves /dev/shm as it found it: no bridge segment of this process or of
a process that has ended (its own `layersplit run` children). Segments of other live processes
(other test sessions on the machine, mid-start) are theirs."""

from __future__ import annotations

import os
import time

import pytest

from cosim.bridge import segments


def leaked(before: set[str]) -> set[str]:
    def mine_or_orphan(name: str) -> bool:
        pid = segments.owner_pid(name)
        return pid == os.getpid() or (pid is not None and not os.path.exists(f"/proc/{pid}"))
    return {n for n in set(segments.existing()) - before if mine_or_orphan(n)}


@pytest.fixture(autouse=True)
def no_segment_left():
    before = set(segments.existing())
    yield
    deadline = time.monotonic() + 2.0  # an orphan's name goes with its exit; give /proc a moment
    while leaked(before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leaked(before) == set()
