"""Points per minute of `layersplit sweep` with 1 and 2 local workers and with Ray (2 CPUs), on one
sweep of real LTE cells (seeds x RLC mode), and Ray's wall time against the 2-worker pool's.

    python benchmarks/speed/sweep_scaling.py [--points 8] [--duration 4] [--ues 8]

Each executor runs the whole sweep into a fresh folder (pool or Ray start-up included, as a user
sees it). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

from cosim.sweep.runner import run_sweep
from cosim.sweep.store import SweepDir

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402


def write_sweep(folder: Path, points: int, duration: float, ues: int) -> Path:
    cell = {"name": "scale", "duration_s": duration, "seed": 1, "radio": {"bandwidth_rbs": 50},
            "ue_groups": [{"count": ues, "placement": {"kind": "disc", "radius_min_m": 20, "radius_max_m": 300},
                           "mobility": {"kind": "random_walk", "speed_min_mps": 1, "speed_max_mps": 3}}],
            "probes": [{"direction": "ul", "ue": "all", "bytes": 40000, "period_ms": 200, "start_s": 0.2}]}
    (folder / "cell.yaml").write_text(yaml.safe_dump(cell))
    sweep = {"base": "cell.yaml", "seed": 1,
             "grid": {"radio.rlc_mode": ["UM", "AM"], "run": list(range(1, points // 2 + 1))}}
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=8)
    ap.add_argument("--duration", type=float, default=4.0, help="simulated seconds per point")
    ap.add_argument("--ues", type=int, default=8)
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    cpu = rec.setup["cpu"]
    print(f"setup: {cpu}, {os.cpu_count()} vCPUs, load {os.getloadavg()[0]:.2f}; {args.points} points of an LTE "
          f"cell, {args.ues} UEs, {args.duration} simulated s each, uplink probes")
    runs = {"local_1": ("local", 1), "local_2": ("local", 2), "ray_2": ("ray", 2)}
    out: dict = {"points": args.points}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sweep(Path(tmp), args.points, args.duration, args.ues)
        tables = {}
        for name, (executor, workers) in runs.items():
            t0 = time.perf_counter()
            done = run_sweep(path, out=Path(tmp) / name, executor=executor, workers=workers, progress=False)
            wall = time.perf_counter() - t0
            assert done["counts"] == {"ok": args.points}, done["counts"]
            tables[name] = SweepDir(done["dir"]).read("slots")
            out[f"{name}_wall_s"] = round(wall, 2)
            out[f"{name}_points_per_min"] = round(args.points / wall * 60, 2)
            print(f"{name}: {wall:.1f} s wall, {args.points / wall * 60:.1f} points/min")
        same = all(tables[n].equals(tables["local_1"]) for n in tables)
    out["ray_over_pool"] = round(out["ray_2_wall_s"] / out["local_2_wall_s"], 3)
    out["speedup_2_workers"] = round(out["local_1_wall_s"] / out["local_2_wall_s"], 3)
    out["identical_results"] = same
    print(f"2 workers: {out['speedup_2_workers']:.2f}x one; Ray takes {out['ray_over_pool']:.2f}x the pool's wall "
          f"time; merged slots identical across executors: {same}")
    out["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))
    rec.save(out)


if __name__ == "__main__":
    main()
