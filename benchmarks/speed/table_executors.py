"""Real-evaluation table build time in this process, on a local pool and on a local Ray.

The table (mbrl.evaluator.build_table) of --keys distinct (window, lost set) states, lost sets
drawn at random (seeded) from the activation's packets, evaluated at every k of SmolLM2 in
batches of 32 per k: serially here, then on a spawn pool of --workers processes and on a local Ray
of --workers CPUs (cosim.sweep.executors), each worker loading the model once; every tail pass with
mbrl.evaluator.TABLE_THREADS torch threads (1), as every table is built. Checks that the three
tables are equal.

Last line: one JSON object: wall s of each (model loads in the workers included), speed-ups
against serial, and whether the tables are identical.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import record  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=64, help="distinct (window, lost set) states")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executors", default="serial,local,ray")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)

    import numpy as np

    from mbrl.evaluator import TABLE_THREADS, EvalConfig, RealEvaluator, build_table

    ev = RealEvaluator(EvalConfig())
    rng = np.random.default_rng(0)
    windows = np.arange(args.keys) % ev.cfg.n_windows
    lost = [frozenset(int(i) for i in rng.choice(ev.n_packets, rng.integers(1, ev.n_packets), replace=False))
            for _ in range(args.keys)]
    print(f"{args.keys} states x {ev.n_layers + 1} k, {ev.n_packets} packets per activation, "
          f"{args.workers} workers, {TABLE_THREADS} torch thread(s) per tail pass", flush=True)
    walls, tables = {}, {}
    for ex in args.executors.split(","):
        t0 = time.perf_counter()
        tables[ex] = build_table(ev, windows, lost, executor=ex, workers=args.workers)
        walls[ex] = round(time.perf_counter() - t0, 2)
        print(f"  {ex}: {walls[ex]} s (tail passes {tables[ex].build['tail_passes']}, "
              f"their summed wall {tables[ex].build['wall_s']} s)", flush=True)
    first = next(iter(tables.values()))
    out = {"keys": args.keys, "workers": args.workers, "threads": TABLE_THREADS, "wall_s": walls,
           "speedup_vs_serial": {ex: round(walls["serial"] / w, 2) for ex, w in walls.items()} if "serial" in walls else {},
           "identical": all(np.array_equal(t.ppl, first.ppl) for t in tables.values())}
    print(json.dumps(out))
    rec.save(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
