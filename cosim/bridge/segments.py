"""Names of shared-memory segments: unique per run, and clean-up of those whose owner died."""

from __future__ import annotations

import itertools
import os
import secrets
from pathlib import Path

PREFIX = "layersplit-"
_SHM_DIR = Path("/dev/shm")
_counter = itertools.count()


def unique_name() -> str:
    """A name no other run uses: owner pid, a per-process counter and random bits."""
    return f"/{PREFIX}{os.getpid()}-{next(_counter)}-{secrets.token_hex(4)}"


def owner_pid(entry: str) -> int | None:
    """The creating process's pid encoded in a segment name, or None for foreign names."""
    if not entry.startswith(PREFIX):
        return None
    head = entry[len(PREFIX):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphans() -> list[str]:
    """Unlinks segments left by launchers that no longer run; never touches a live run's."""
    removed = []
    for path in _SHM_DIR.glob(PREFIX + "*"):
        pid = owner_pid(path.name)
        if pid is not None and pid != os.getpid() and not _alive(pid):
            try:
                path.unlink()
                removed.append(path.name)
            except FileNotFoundError:
                pass
    return removed


def existing() -> list[str]:
    """Names of all layersplit segments present now (for tests and diagnostics)."""
    return sorted(p.name for p in _SHM_DIR.glob(PREFIX + "*"))
