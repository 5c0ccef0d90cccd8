"""Live split environments stepped one by one and in parallel: steps per second for N = 1, 2, ...

Setup: N LiveSplitEnvs (mbrl.live_env) on one split scenario (default examples/split_lte.yaml:
SmolLM2, one LTE cell), episodes of ``--episode-len`` steps, ``--period-ms`` of simulated time
between requests, actions drawn uniformly from a seeded generator, one torch thread per
sub-environment at every N. ``serial``: gymnasium's SyncVectorEnv, every sub-environment in this
process one after the other; ``parallel``: mbrl.vector_env (AsyncVectorEnv, a process each).
Each configuration resets with seed 1, takes ``--warmup`` vector steps untimed, then ``--steps``
timed ones. Reported: environment steps per second (N x vector steps / wall), the mean wall time
of a vector step, the speedup of parallel N over parallel 1, and the share of the sub-environments'
summed wall time inside ns-3 and in the bridge (the rest: the model, simpy, Python); the machine's
load before and after. Last line: one JSON object.

    python benchmarks/speed/vector_env.py [--ns 1,2] [--steps 30]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def measure(mode: str, n: int, args) -> dict:
    import gymnasium as gym

    from cosim.sweep.executors import pin_threads
    from mbrl.live_env import LiveSplitEnv
    from mbrl.vector_env import live_vector_env

    kwargs = {"episode_len": args.episode_len, "period_ms": args.period_ms}
    if mode == "parallel":
        vec = live_vector_env([args.scenario], n, threads=1, **kwargs)
    else:
        pin_threads(1)
        vec = gym.vector.SyncVectorEnv([lambda: LiveSplitEnv(args.scenario, **kwargs)] * n)
    rng = np.random.default_rng(0)
    try:
        vec.reset(seed=1)
        for _ in range(args.warmup):
            vec.step(rng.integers(0, vec.single_action_space.n, n))
        before = vec.call("timing")
        t0 = time.perf_counter()
        for _ in range(args.steps):
            vec.step(rng.integers(0, vec.single_action_space.n, n))
        wall = time.perf_counter() - t0
        after = vec.call("timing")
    finally:
        vec.close()
    spent = {k: sum(a[k] - b[k] for a, b in zip(after, before)) for k in ("ns3_s", "bridge_s")}
    busy = wall * n  # each sub-environment's share of the wall time, summed
    return {"mode": mode, "n": n, "steps_per_s": round(n * args.steps / wall, 2),
            "vector_step_ms": round(1000 * wall / args.steps, 1),
            "ns3_share": round(spent["ns3_s"] / busy, 3), "bridge_share": round(spent["bridge_s"] / busy, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "examples" / "split_lte.yaml"))
    ap.add_argument("--ns", default="1,2", help="sub-environment counts")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--episode-len", type=int, default=10)
    ap.add_argument("--period-ms", type=float, default=200.0)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    rows = [measure(mode, n, args) for n in (int(x) for x in args.ns.split(",")) for mode in ("serial", "parallel")]
    base = next(r["steps_per_s"] for r in rows if r["mode"] == "parallel" and r["n"] == rows[0]["n"])
    for r in rows:
        r["speedup_vs_first_parallel"] = round(r["steps_per_s"] / base, 2)
        print(f"{r['mode']:8s} N={r['n']}: {r['steps_per_s']:6.2f} env steps/s, {r['vector_step_ms']:7.1f} ms per "
              f"vector step, x{r['speedup_vs_first_parallel']:.2f}; ns-3 {r['ns3_share']:.0%}, bridge "
              f"{r['bridge_share']:.0%} of the sub-environments' wall time", flush=True)
    out = {"setup": {"scenario": Path(args.scenario).name, "steps": args.steps, "warmup": args.warmup,
                     "episode_len": args.episode_len, "period_ms": args.period_ms, "torch_threads": 1,
                     "cores": os.cpu_count(), "load_start": round(load, 2), "load_end": round(os.getloadavg()[0], 2)},
           "rows": rows}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
