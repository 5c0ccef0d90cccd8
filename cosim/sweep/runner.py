"""`layersplit sweep SWEEP.yaml`: many independent runs of one config, on a local process pool or Ray.

A sweep file names a base config (cell scenario, split session or training config) and the
overrides that make its points::

    base: split_lte.yaml          # relative to this file
    seed: 1                       # the sweep's seed (a point's own seed is derived from it)
    set: {duration_s: 2}          # overrides every point gets (not swept)
    grid:                         # every combination (cartesian product)
      radio.rlc_mode: [UM, AM]
      ue_groups.0.count: [1, 4]
    points:                       # and/or listed points (crossed with the grid when both are given)
      - {split.k: 4}
      - {split.k: 12, requests.deadline_ms: 100}
    executor: local               # local (a process pool, the default) or ray
    workers: null                 # local: processes (default: the machine's CPUs); ray: CPUs of a local Ray
    address: null                 # ray: an existing cluster ("auto", "ray://head:10001"); none: a local Ray
    threads: 1                    # torch threads per point (fixed, so results do not depend on the executor)
    connect_timeout_s: 5          # ray with an address: how long the cluster may take to answer

Keys are the same dotted paths as ``layersplit run --set``. Each point runs the code
``layersplit run`` runs (cosim.run.dispatch.run_config) in a worker, in a temporary folder, and sends
its tables back. Unless ``seed`` is swept, a point's seed is derived from the sweep's seed and the
point's values, so adding points never changes another point's seed.

The sweep folder holds ``sweep.yaml`` (the spec as given), ``manifest.json`` (every point: values,
seed, status, error, wall time), ``points/<id>/`` (each run's resolved config.yaml and meta.json)
and ``results/<table>/``: one Parquet dataset per trace table (slots, packets, requests, or a
training run's metrics), hive-partitioned by the swept fields, with ``point`` and ``seed``
columns. Calling the sweep again runs only the points that are missing or failed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from cosim.config.checks import Choice, ConfigError, Fn, Int, Num, Optional, Section, Str, load_yaml
from cosim.sweep.executors import RAY_CONNECT_TIMEOUT_S, check_ray_address, run_tasks

WORKERS = Int(1, 4096)
EXECUTORS = ("local", "ray")  # of cosim.sweep.executors: a sweep's points run in workers, never serially here


@dataclass
class SweepSpec:
    base: Path | None = None  # required: the config every point overrides (relative to the sweep file)
    seed: int = 1
    set: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    points: list = field(default_factory=list)
    executor: str = "local"
    workers: int | None = None
    address: str | None = None
    threads: int = 1
    connect_timeout_s: float = RAY_CONNECT_TIMEOUT_S


def _mapping(path: str, v: object) -> dict:
    if not isinstance(v, dict):
        raise ConfigError(f"{path}: expected a mapping of dotted keys")
    return v


def _grid(path: str, v: object) -> dict:
    for key, values in _mapping(path, v).items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{path}.{key}: expected a non-empty list of values")
    return v


def _points(path: str, v: object) -> list:
    if not isinstance(v, list) or not all(isinstance(p, dict) for p in v):
        raise ConfigError(f"{path}: expected a list of mappings (dotted key -> value)")
    return v


def _check_base(folder: Path, path: str, spec: SweepSpec) -> None:
    if spec.base is None:
        raise ConfigError("base: required (the config file every point overrides)")
    spec.base = (folder / spec.base).resolve()
    if not spec.base.is_file():
        raise ConfigError(f"base: {spec.base} is not a file")


def schema(folder: Path) -> Section:
    """A sweep file's keys; ``base`` is resolved against ``folder`` (the sweep file's)."""
    return Section(SweepSpec, {
        "base": Str(),
        "seed": Int(0, 2**63 - 1),
        "set": Fn(_mapping, "mapping", "dotted key -> value"),
        "grid": Fn(_grid, "mapping", "dotted key -> non-empty list of values"),
        "points": Fn(_points, "list of mappings", "each dotted key -> value"),
        "executor": Choice(EXECUTORS),
        "workers": Optional(WORKERS),
        "address": Optional(Str()),
        "threads": Int(1, 1024),
        "connect_timeout_s": Num(0.1, 600),
    }, check=partial(_check_base, folder))


@dataclass(frozen=True)
class Point:
    id: str
    values: dict     # the swept fields' values
    seed: int

    def overrides(self, common: dict) -> dict:
        return {**common, **self.values, "seed": self.seed}


def load_sweep(path: str | Path) -> SweepSpec:
    """Reads and checks a sweep file (strictly: a key given twice is refused); ConfigError names the bad key."""
    path = Path(path)
    return schema(path.parent)("", load_yaml(path, "sweep"))


def expand(spec: SweepSpec) -> list[Point]:
    """The sweep's points, in a fixed order (grid cells in the order given, crossed with the list)."""
    keys = list(spec.grid)
    cells = [dict(zip(keys, combo)) for combo in itertools.product(*(spec.grid[k] for k in keys))]
    listed = spec.points or [{}]
    points, seen = [], set()
    for extra in listed:
        for cell in cells:
            values = {**cell, **extra}
            pid = point_id(values)
            if pid not in seen:
                seen.add(pid)
                points.append(Point(pid, values, _seed(spec.seed, pid, values)))
    return points


def point_id(values: dict) -> str:
    return hashlib.sha1(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _seed(sweep_seed: int, pid: str, values: dict) -> int:
    if "seed" in values:
        return values["seed"]
    digest = hashlib.sha256(f"{sweep_seed}:{pid}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % (2**31 - 2) + 1  # 1..2^31-1, what every loader accepts


def swept_fields(points: list[Point]) -> list[str]:
    return sorted({k for p in points for k in p.values})


# ----------------------------------------------------------------------------- one point (in a worker)
def run_point(base: str, overrides: dict) -> dict:
    """Runs one point in a temporary folder; returns its tables (pyarrow) or its error. Never raises.
    (Its torch threads are fixed by the executor: cosim.sweep.executors.)"""
    import tempfile

    from cosim.run.dispatch import run_config

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="layersplit-point-") as tmp:
        try:
            run = run_config(base, out=Path(tmp) / "run", overrides=overrides, progress=False)
            result = {"status": "ok", "tables": _tables(run)}
        except Exception as exc:  # the point fails alone; its error goes into the manifest
            result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}".strip()}
            run = Path(tmp) / "run"
        for name in ("config.yaml", "meta.json"):
            if (run / name).is_file():
                result[name] = (run / name).read_text()
    result["wall_s"] = round(time.perf_counter() - t0, 3)
    return result


def _tables(run: Path) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = {f.name.removesuffix(".parquet"): pq.read_table(f) for f in sorted(run.glob("*.parquet"))}
    if (run / "metrics.json").is_file():  # a training run: its metrics as one row
        import pandas as pd

        metrics = json.loads((run / "metrics.json").read_text())
        flat = pd.json_normalize({k: v for k, v in metrics.items() if not isinstance(v, list)}, sep=".")
        tables["metrics"] = pa.Table.from_pandas(flat, preserve_index=False)
    return tables


# ----------------------------------------------------------------------------- the sweep
def run_sweep(path: str | Path, out: str | Path | None = None, executor: str | None = None,
              workers: int | None = None, address: str | None = None, progress: bool = True) -> dict:
    """Runs the sweep's missing or failed points into ``out`` (default: runs/<sweep file name>).

    Returns {"dir": folder, "ran": ids of the points run now, "counts": statuses of all points}.
    The folder is locked while the sweep runs (cosim.run.rundir.folder_lock): a second sweep on it
    is refused at once."""
    from cosim.run.rundir import folder_lock

    spec = load_sweep(path)
    executor = Choice(EXECUTORS)("--executor", executor or spec.executor)
    workers = Optional(WORKERS)("--workers", workers) or spec.workers
    root = Path(out) if out else Path("runs") / Path(path).stem
    address = address or spec.address
    if executor == "ray" and address:  # before the folder is touched: a wrong address changes nothing
        check_ray_address(address, spec.connect_timeout_s)
    with folder_lock(root, "--out" if out else "sweep folder"):
        return _run_locked(path, spec, root, executor, workers, address, progress)


def _run_locked(path, spec: SweepSpec, root: Path, executor: str, workers, address, progress: bool) -> dict:
    from tqdm import tqdm

    from cosim.sweep.store import SweepDir

    store = SweepDir(root)
    points = expand(spec)
    store.register(points, swept_fields(points))
    (root / "sweep.yaml").write_text(Path(path).read_text())
    todo = [(p, p.overrides(spec.set)) for p in store.todo(points)]
    results = run_tasks(partial(run_point, str(spec.base)), [ov for _, ov in todo], executor, workers, address,
                        spec.threads, spec.connect_timeout_s)
    with tqdm(total=len(points), initial=len(points) - len(todo), unit="point", disable=not progress,
              desc=Path(path).stem) as bar:
        for i, result, error in results:
            if error is not None:  # its worker died (e.g. killed): only its point fails
                result = {"status": "failed", "error": f"{type(error).__name__}: {error}", "wall_s": None}
            store.record(todo[i][0], result)
            bar.update(1)
    return {"dir": root, "ran": [p.id for p, _ in todo], "counts": store.counts()}


def sweep_status(root: str | Path) -> str:
    """What `layersplit sweep status DIR` prints: counts, then one line per point not ok."""
    from cosim.sweep.store import MANIFEST, SweepDir

    if not (Path(root) / MANIFEST).is_file():
        raise FileNotFoundError(f"DIR: {root} is not a sweep folder (no {MANIFEST}); make one with `layersplit sweep`")
    store = SweepDir(root)
    counts = store.counts()
    lines = [f"{root}: {len(store.points)} points: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
             f"results: {', '.join(store.tables()) or 'none yet'} (partitioned by {', '.join(store.manifest['fields']) or 'nothing'})"]
    for pid, entry in store.points.items():
        if entry["status"] != "ok":
            values = " ".join(f"{k}={v}" for k, v in entry["values"].items())
            lines.append(f"  {pid} {entry['status']}: {values}" + (f": {entry['error']}" if "error" in entry else ""))
    return "\n".join(lines)
