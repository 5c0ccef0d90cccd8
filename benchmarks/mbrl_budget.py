"""Held-out quality of the MBRL agent against its real-evaluation budget.

Setup: examples/mbrl_default.yaml (or --config) at a state-space size of benchmarks/mbrl_cost.py
(--size, default small: the config as it is) with its cached traces and tables; for each
budget and seed (seed and surrogate.seed both set), the MBRL pipeline of mbrl.train (surrogate by
active learning, PPO on it, checkpoint chosen on its own surrogate score; model-free PPO off),
scored on the held-out traces as the share of the random-to-oracle gap and of the
random-to-skyline gap closed, and where its learning curve first reaches --target of the
skyline gap (as benchmarks/mbrl_cost.py counts it: the checkpoint stopping there would deploy;
wall = measured compute + the budget's evaluations at the measured single-call cost, an
ESTIMATE). The initial design stays at the config's ``init`` (or the budget, when smaller). A
budget at or above the distinct (window, lost set, k) cells of the damaged train states pays for
all of them: the surrogate env is then the exact real table of the train states. Nothing here
picks a setting; compare with model-free PPO's figures from benchmarks/mbrl_cost.py.

Last line: one JSON object: size, budgets, real_evals (spent, per budget; the same for every
seed), frac_mean, frac_std and fracs (per seed, of the oracle gap), frac_skyline (per seed) and
reach_wall_s (per seed: wall to the target, or "not reached").
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.mbrl_cost import SIZES  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(Path(__file__).resolve().parents[1] / "examples" / "mbrl_default.yaml"))
    ap.add_argument("--size", choices=sorted(SIZES), default="small", help="a size of benchmarks/mbrl_cost.py")
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--budgets", default="100,200,300,600,1200,2400")
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()

    import numpy as np
    import torch

    from benchmarks.mbrl_cost import reach
    from mbrl.config import load_config, with_overrides
    from mbrl.dataset import prepare
    from mbrl.evaluator import RealEvaluator
    from mbrl.train import train

    cfg = with_overrides(load_config(args.config), SIZES[args.size])
    torch.set_num_threads(cfg.threads)
    ds = prepare(cfg.traces, cfg.evaluator, progress=True, table_cfg=cfg.table)
    ds.train_table.cost_s = RealEvaluator(cfg.evaluator).single_cost_s(repeats=21)  # as mbrl_cost charges
    budgets, seeds = [int(b) for b in args.budgets.split(",")], [int(s) for s in args.seeds.split(",")]
    print(f"config {args.config} at size {args.size}; budgets {budgets}; seeds {seeds}; {len(ds.test)} held-out "
          f"decisions; a real evaluation charged {ds.train_table.cost_s * 1000:.1f} ms (measured, unbatched)")
    out = {"size": args.size, "budgets": budgets, "real_evals": [], "frac_mean": [], "frac_std": [], "fracs": [],
           "frac_skyline": [], "reach_wall_s": []}
    t0 = time.perf_counter()
    for b in budgets:
        fracs, sky, walls, evals = [], [], [], set()
        for s in seeds:
            run = with_overrides(cfg, {"seed": s, "surrogate": {"budget": b, "init": min(cfg.surrogate.init, b), "seed": s},
                                       "model_free": {"enabled": False}})
            m = train(run, ds=ds)
            fracs.append(round(float(m["comparison"]["mbrl_ppo"]["frac_oracle"]), 4))
            sky.append(round(float(m["comparison"]["mbrl_ppo"]["frac_skyline"]), 4))
            hit = reach(m["learners"]["mbrl"]["curve"], args.target)
            walls.append(hit["wall_s"])
            evals.add(m["surrogate"]["real_evals"])
            print(f"  budget {b} seed {s}: {m['surrogate']['real_evals']} real evals, held-out frac {fracs[-1]:.3f} "
                  f"of the oracle gap, {sky[-1]:.3f} of the skyline gap; wall to {args.target:.0%} of it: {walls[-1]} "
                  f"(measured compute {hit['compute_s']} + estimated evaluations {hit['eval_s']}; "
                  f"{time.perf_counter() - t0:.0f} s)", flush=True)
        out["real_evals"].append(max(evals))
        out["frac_mean"].append(round(float(np.mean(fracs)), 4))
        out["frac_std"].append(round(float(np.std(fracs)), 4))
        out["fracs"].append(fracs)
        out["frac_skyline"].append(sky)
        out["reach_wall_s"].append(walls)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
