"""Where does the split matter on the recorded LTE traces? Fixed splits against the skyline, by UE-load weight.

Setup: the training traces and real-evaluation tables of examples/mbrl_default.yaml at a state-space
size of benchmarks/mbrl_cost.py (--size; cached, built there on first use). For each UE-load
weight b (reward.b; everything else as in the config) it scores on the held-out decisions:

- every fixed split (one k for every decision): the best and the worst, by mean reward;
- random: a uniformly random k;
- the skyline (mbrl.skyline: the best policy over the agent's observation, fitted on the full
  real table of the train states plus half of the held-out states, scored on the other half);
- the exact-fate oracle (sees the very transfer's packet fates: out of reach for any causal policy).

and reports the skyline's gain over the best fixed split (reward per decision) and the share of
the random -> skyline gap the best fixed split already closes. A learner can only beat every
fixed split by about the skyline's gain, so a live win needs a b where that gain is large next to
the 95 % intervals of a few hundred requests. No learning, no new tail passes. Last line: one
JSON object, a row per b.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import record  # noqa: E402
from benchmarks.mbrl_cost import SIZES  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def spread(ds, cfg) -> dict:
    """Held-out mean rewards of fixed splits, and the references mbrl.train scores against
    (random, oracle, skyline), under ``cfg.reward``."""
    from mbrl import baselines as B
    from mbrl.train import gap_share, heldout_refs

    refs, info = heldout_refs(ds, cfg)
    res = B.compare({k: B.fixed(k) for k in range(ds.n_layers + 1)}, ds.test, ds.test_table, cfg.reward,
                    cfg.env.start_k)
    fixed = {k: r["mean_reward"] for k, r in res.items()}
    best, worst = max(fixed, key=fixed.get), min(fixed, key=fixed.get)
    return {"best_fixed_k": best, "best_fixed": round(fixed[best], 4), "worst_fixed_k": worst,
            "worst_fixed": round(fixed[worst], 4), **{n: round(refs[n], 4) for n in ("random", "skyline", "oracle")},
            "skyline_gain": round(refs["skyline"] - fixed[best], 4),
            "best_fixed_share": round(gap_share(fixed[best], refs["random"], refs["skyline"]), 4),
            "skyline_families": info["families"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples" / "mbrl_default.yaml"))
    ap.add_argument("--size", choices=sorted(SIZES), default="large", help="a size of benchmarks/mbrl_cost.py")
    ap.add_argument("--b", default="1,2,3", help="UE-load weights to compare (default 1,2,3)")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    from mbrl.config import load_config, with_overrides
    from mbrl.dataset import prepare

    cfg = with_overrides(load_config(args.config), SIZES[args.size])
    ds = prepare(cfg.traces, cfg.evaluator, progress=True, table_cfg=cfg.table)
    print(f"size {args.size}: {len(ds.train)} train, {len(ds.test)} held-out decisions "
          f"({(ds.test.loss_frac > 0).mean():.0%} damaged)")
    rows = []
    for b in (float(x) for x in args.b.split(",")):
        row = {"b": b, **spread(ds, with_overrides(cfg, {"reward": {"b": b}}))}
        rows.append(row)
        print(f"b={b:g}: fixed k={row['best_fixed_k']} {row['best_fixed']:.3f} (worst k={row['worst_fixed_k']} "
              f"{row['worst_fixed']:.3f}), random {row['random']:.3f}, skyline {row['skyline']:.3f} "
              f"(gain {row['skyline_gain']:.3f}/decision; best fixed closes {row['best_fixed_share']:.2f} of the "
              f"random -> skyline gap), oracle {row['oracle']:.3f}")
    out = {"size": args.size, "rows": rows}
    print(json.dumps(out))
    rec.save(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
