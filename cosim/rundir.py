"""Run folders: where a run's traces, resolved config and metadata go."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = "config.yaml"
META_FILE = "meta.json"


def new_run_dir(out: str | Path | None, name: str, root: str | Path = "runs") -> Path:
    """``out`` if given (created; must be empty), else a new ``runs/<name>-<timestamp>[-n]``."""
    if out is not None:
        path = Path(out)
        if path.exists() and any(path.iterdir()):
            raise FileExistsError(f"--out: {path} exists and is not empty; choose a new folder")
        path.mkdir(parents=True, exist_ok=True)
        return path
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{name}-{stamp}"
    path, n = base, 1
    while path.exists():
        path, n = Path(f"{base}-{n}"), n + 1
    path.mkdir(parents=True)
    return path


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

    def __init__(self, run_dir: Path, resolved_config: dict[str, Any], seed: int):
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
        }
        self._save()

    def finish(self, error: BaseException | None = None, **extra: Any) -> None:
        """Status "ok", "stopped" (Ctrl-C or a stop signal, also when the program died of the same
        signal first) or "failed"."""
        from cosim.signals import received

        stopped = isinstance(error, KeyboardInterrupt) or (error is not None and received() is not None)
        self.meta["status"] = "ok" if error is None else "stopped" if stopped else "failed"
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
