"""Every hardening test leaves /dev/shm as it found it: no bridge segment of this or a child process."""

from __future__ import annotations

import pytest

from cosim import segments


@pytest.fixture(autouse=True)
def no_segment_left():
    before = set(segments.existing())
    yield
    assert set(segments.existing()) - before == set()
