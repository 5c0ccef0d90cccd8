"""Where does the split matter? The most any state-aware policy gains over the best fixed split.

Setup: the paper experiment's bank of real evaluations (examples/mbrl_paper.yaml, mbrl.paper_bank:
SmolLM2, i.i.d. element erasure, 8 masks per (p, k) cell; built once, about 9 min on 2 cores,
then cached). For each reward form (quality ratio or log) and UE-load weight b, and for each
mixture of loss probabilities (the channel's states, equally likely), it compares:

- the best and the worst fixed split (one k for every state), by mean expected reward;
- the skyline: the best k for each p, knowing p exactly (a myopic upper bound for any policy
  that observes p, moves and switching free);
- random: a uniformly random k.

and reports the skyline's gain over the best fixed split (reward per decision) and the share of
the random -> skyline gap the best fixed split already closes. Exact on the bank's means (no
learning involved). Last line: one JSON object, a row per (form, b, mixture).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import record  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MIXTURES = {"all": None, "0|0.1": (0.0, 0.1), "0|0.2": (0.0, 0.2), "0|0.03|0.1": (0.0, 0.03, 0.1),
            "0.01-0.05": (0.01, 0.03, 0.05)}


def compare(R, ks, ps, mixture) -> dict:
    import numpy as np

    rows = [i for i, p in enumerate(ps) if mixture is None or any(abs(p - m) < 1e-12 for m in mixture)]
    sub = R[rows]
    fixed = sub.mean(axis=0)
    sky, rnd = float(sub.max(axis=1).mean()), float(fixed.mean())
    best = int(np.argmax(fixed))
    return {"best_fixed_k": int(ks[best]), "best_fixed": round(float(fixed[best]), 4),
            "worst_fixed": round(float(fixed.min()), 4), "skyline": round(sky, 4), "random": round(rnd, 4),
            "skyline_gain": round(sky - float(fixed[best]), 4),
            "best_fixed_share": round((float(fixed[best]) - rnd) / (sky - rnd), 4),
            "skyline_k_per_p": [int(ks[j]) for j in sub.argmax(axis=1)]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples" / "mbrl_paper.yaml"))
    ap.add_argument("--b", default="1,3", help="UE-load weights to compare (default 1,3)")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    import numpy as np

    from mbrl.paper_bank import build_bank, load_setup
    from mbrl.paper_config import load_paper_config
    from mbrl.reward import RewardConfig

    cfg = load_paper_config(args.config)
    bank = build_bank(cfg, load_setup(cfg), progress=True)
    ks, ps = np.asarray(bank.ks), list(bank.ps)
    print(f"bank: p {ps}, k {list(bank.ks)}, {bank.ppl.shape[2]} masks per cell, clean ppl {bank.clean:.2f}")
    out = []
    for form in ("ratio", "log"):
        for b in (float(x) for x in args.b.split(",")):
            R = bank.true_reward(RewardConfig(a=cfg.reward.a, b=b, quality=form, quality_floor=cfg.reward.quality_floor))
            for name, mixture in MIXTURES.items():
                row = {"quality": form, "b": b, "mixture": name, **compare(R, ks, ps, mixture)}
                out.append(row)
                print(f"{form:5s} b={b:g} p in {name:11s} best fixed k={row['best_fixed_k']:2d} {row['best_fixed']:8.3f} "
                      f"(worst {row['worst_fixed']:8.3f})  skyline {row['skyline']:8.3f}  gain {row['skyline_gain']:.3f}  "
                      f"best fixed closes {row['best_fixed_share']:.3f} of random->skyline")
    print(json.dumps(out))
    rec.save(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
