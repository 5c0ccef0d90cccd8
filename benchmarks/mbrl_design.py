"""Picks the surrogate's acquisition design on the training traces alone (leave-one-seed-out).

Setup: examples/mbrl_default.yaml (or --config), its recorded traces and real-evaluation tables
(cached; built on first use like `layersplit train`). For each design, each train seed's traces
are held out in turn; MBRL (surrogate with the budget scaled to the fold's pool, PPO on it,
checkpoint chosen on its own surrogate score) is trained on the rest and its deployed policy
scored on the held-out seed as the share of the random-to-oracle gap it closes
(mbrl.validate). The held-out traces of the benchmark (traces.test_seeds) are never read.

--size picks a state-space size of benchmarks/mbrl_cost.py; --folds groups the train seeds into
that many folds (seed index modulo folds; default one per seed); --planned scores each fold's
surrogate by the one-threshold rule fitted on its table instead of training PPO on it (cheaper;
mbrl.validate.planned_run). A design is an acquisition, with ``:m`` for the columns design's
``surrogate.columns`` (e.g. ``columns:3``).

Last line: one JSON object: per design the mean and std of the validation fractions over
folds x seeds, the per-run fractions; "causal_ref": the mean validation fraction of the causal
threshold rule fitted on each fold's full real table; "chosen": the design with the best mean;
"selection_evals": the real evaluations the validation read (mbrl.validate.selection_cost: every
distinct evaluation of the validation states' tables, once), the selection cost that
benchmarks/mbrl_cost.py --selection reports beside the learners' own.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import record  # noqa: E402
from benchmarks.mbrl_cost import SIZES  # noqa: E402

DESIGNS = ("columns", "ranking", "spread")


def _design(name: str) -> dict:
    acquisition, _, columns = name.partition(":")
    return {"surrogate": {"acquisition": acquisition, **({"columns": int(columns)} if columns else {})}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(Path(__file__).resolve().parents[1] / "examples" / "mbrl_default.yaml"))
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (PPO and surrogate)")
    ap.add_argument("--designs", default=",".join(DESIGNS), help="acquisitions, columns:m for surrogate.columns m")
    ap.add_argument("--size", choices=sorted(SIZES), default="small", help="a size of benchmarks/mbrl_cost.py")
    ap.add_argument("--folds", type=int, default=None, help="folds of train seeds (default one per seed)")
    ap.add_argument("--planned", action="store_true", help="score the rule planned on the surrogate, no PPO")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)

    import torch

    from mbrl.config import load_config, with_overrides
    from mbrl.dataset import prepare
    from mbrl.validate import cross_validate, seed_folds, selection_cost

    cfg = with_overrides(load_config(args.config), SIZES[args.size])
    torch.set_num_threads(cfg.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    ds = prepare(cfg.traces, cfg.evaluator, progress=True)
    folds = seed_folds(ds, len(cfg.traces.train_seeds), args.folds)
    print(f"config {args.config}; {len(folds)} folds (train seeds {list(cfg.traces.train_seeds)}), "
          f"{[len(f.train) for f in folds]} fit / {[len(f.test) for f in folds]} validation states; seeds {seeds}")
    t0 = time.perf_counter()
    res = cross_validate(cfg, ds, {d: _design(d) for d in args.designs.split(",")}, seeds, progress=True,
                         n_folds=args.folds, planned=args.planned)
    for name, r in res.items():
        print(f"  {name:8s} validation frac {r['mean']:.3f} +- {r['std']:.3f} over {len(r['fracs'])} runs "
              f"(causal reference rule: {r['causal_ref']:.3f})")
    print(f"wall {time.perf_counter() - t0:.0f} s")
    out = {name: {"mean": round(r["mean"], 4), "std": round(r["std"], 4), "fracs": [round(f, 4) for f in r["fracs"]]}
           for name, r in res.items()}
    out["causal_ref"] = round(next(iter(res.values()))["causal_ref"], 4)
    out["chosen"] = max(res, key=lambda n: res[n]["mean"])
    cost = selection_cost(folds)
    out["selection_evals"] = cost["paid"]
    print(f"selection cost: {cost['paid']} real evaluations (every distinct evaluation of the validation tables; "
          f"{cost['estimated_s']:.0f} s ESTIMATED at the measured single-call cost)")
    print(json.dumps(out))
    rec.save(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
