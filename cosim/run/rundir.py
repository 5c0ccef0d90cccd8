"""Run folders: where a run's traces, resolved config and metadata go."""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import yaml

CONFIG_FILE = "config.yaml"
META_FILE = "meta.json"
CLAIM_FILE = ".layersplit-run"  # created exclusively by the run that owns the folder
LOCK_FILE = ".layersplit-lock"  # locked by the process writing into a folder it may come back to


def new_run_dir(out: str | Path | None, name: str, root: str | Path = "runs") -> Path:
    """``out`` if given (created; must be empty), else a new ``runs/<name>-<timestamp>[-n]``.

    The folder is claimed atomically (a marker file created with O_EXCL): of two runs given the
    same folder, exactly one gets it and the other fails before writing anything there."""
    if out is not None:
        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        if not _claim(path):
            raise FileExistsError(f"--out: {path} exists and is not empty; choose a new folder")
        return path
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{name}-{stamp}"
    for n in range(10_000):
        path = base if n == 0 else Path(f"{base}-{n}")
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            continue
        if _claim(path):
            return path
    raise FileExistsError(f"{base}: no free run folder name")


def _claim(path: Path) -> bool:
    """True when this process created the folder's marker and nothing else is in it."""
    try:
        fd = os.open(path / CLAIM_FILE, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(f"{os.getpid()}\n")
    if any(p.name != CLAIM_FILE for p in path.iterdir()):
        (path / CLAIM_FILE).unlink()
        return False
    return True


@contextlib.contextmanager
def folder_lock(path: str | Path, flag: str = "--out") -> Iterator[Path]:
    """Holds ``path`` (created) for this process while the block runs: a second writer, in this
    process or another, gets FileExistsError at once naming the folder and the holder. Unlike a run
    folder's claim (one run, once), a sweep folder is written again by a later call, so the lock
    is an flock: the kernel releases it when its holder ends, even by SIGKILL, and no stale marker
    ever blocks a resume. (The lock file's descriptor is not inherited by the workers, which
    Python starts with its descriptors closed.)"""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "another process"
            raise FileExistsError(f"{flag}: {path} is in use by {holder}; wait for it to end or choose "
                                  f"another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {platform.node()} since "
                      f"{_dt.datetime.now().isoformat(timespec='seconds')} ({_command()})\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race with a new holder)


def _command() -> str:
    """This process's command line on one line (an argument may hold a newline), at most 200 characters."""
    return " ".join(sys.argv).encode("unicode_escape").decode("ascii")[:200]


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("layersplit", "ns3", "numpy", "pyarrow", "torch", "transformers", "stable-baselines3", "gymnasium"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def _plain(x: Any) -> Any:
    """Tuples to lists, recursively: what yaml.safe_dump writes as plain YAML."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


class RunRecord:
    """Writes config.yaml at the start and meta.json at the start and the end of a run."""

    def __init__(self, run_dir: Path, resolved_config: dict[str, Any], seed: int, facts: dict | None = None):
        self.run_dir = run_dir
        self._t0 = time.perf_counter()
        (run_dir / CONFIG_FILE).write_text(yaml.safe_dump(_plain(resolved_config), sort_keys=False))
        self.meta: dict[str, Any] = {
            "status": "running",
            "seed": seed,
            "command": sys.argv,
            "started": _dt.datetime.now().isoformat(timespec="seconds"),
            "versions": _versions(),
            "host": platform.node(),
            **(facts or {}),  # e.g. the radio's time grid (cosim.radio.registry.run_facts)
        }
        self._save()

    def finish(self, error: BaseException | None = None, warnings: list[str] | None = None, **extra: Any) -> None:
        """Status "ok", "ok_with_warnings" (it ran to the end, but its check of its own data found
        something that carried nothing: ``warnings``, cosim.run.selfcheck), "stopped" (Ctrl-C or a
        stop signal, also when the program died of the same signal first) or "failed"."""
        from cosim.bridge.signals import received

        stopped = isinstance(error, KeyboardInterrupt) or (error is not None and received() is not None)
        ok = "ok_with_warnings" if warnings else "ok"
        self.meta["status"] = ok if error is None else "stopped" if stopped else "failed"
        if warnings is not None:  # checked: the list, empty when all is well
            self.meta["warnings"] = list(warnings)
        if error is not None:
            self.meta["error"] = f"{type(error).__name__}: {error}"
        self.meta["wall_s"] = round(time.perf_counter() - self._t0, 3)
        self.meta.update(extra)
        self._save()

    def _save(self) -> None:
        # Write then rename: a kill in between leaves the previous meta.json, never half of one.
        tmp = self.run_dir / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(self.meta, indent=2))
        tmp.replace(self.run_dir / META_FILE)
