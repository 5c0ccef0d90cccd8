"""Held-out quality of the MBRL agent against its real-evaluation budget.

Setup: examples/mbrl_default.yaml (or --config) with its cached traces and tables; for each
budget and seed (seed and surrogate.seed both set), the MBRL pipeline of mbrl.train (surrogate by
active learning, PPO on it, checkpoint chosen on its own surrogate score; model-free PPO off),
scored on the held-out traces as the share of the random-to-oracle gap closed. The initial
design stays at the config's ``init`` (or the budget, when smaller). A budget at or above the
distinct (window, lost set, k) cells of the damaged train states pays for all of them: the
surrogate env is then the exact real table of the train states. Nothing here picks a setting;
compare with model-free PPO's figures from benchmarks/mbrl_cost.py.

Last line: one JSON object: budgets, real_evals (spent, per budget; the same for every seed),
frac_mean, frac_std and fracs (per seed).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(Path(__file__).resolve().parents[1] / "examples" / "mbrl_default.yaml"))
    ap.add_argument("--budgets", default="100,200,300,600,1200,2400")
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()

    import numpy as np
    import torch

    from mbrl.config import load_config, with_overrides
    from mbrl.dataset import prepare
    from mbrl.train import train

    cfg = load_config(args.config)
    torch.set_num_threads(cfg.threads)
    ds = prepare(cfg.traces, cfg.evaluator, progress=True)
    budgets, seeds = [int(b) for b in args.budgets.split(",")], [int(s) for s in args.seeds.split(",")]
    print(f"config {args.config}; budgets {budgets}; seeds {seeds}; {len(ds.test)} held-out decisions")
    out = {"budgets": budgets, "real_evals": [], "frac_mean": [], "frac_std": [], "fracs": []}
    t0 = time.perf_counter()
    for b in budgets:
        fracs, evals = [], set()
        for s in seeds:
            run = with_overrides(cfg, {"seed": s, "surrogate": {"budget": b, "init": min(cfg.surrogate.init, b), "seed": s},
                                       "model_free": {"enabled": False}})
            m = train(run, ds=ds)
            fracs.append(round(float(m["comparison"]["mbrl_ppo"]["frac_oracle"]), 4))
            evals.add(m["surrogate"]["real_evals"])
            print(f"  budget {b} seed {s}: {m['surrogate']['real_evals']} real evals, held-out frac {fracs[-1]:.3f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
        out["real_evals"].append(max(evals))
        out["frac_mean"].append(round(float(np.mean(fracs)), 4))
        out["frac_std"].append(round(float(np.std(fracs)), 4))
        out["fracs"].append(fracs)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
