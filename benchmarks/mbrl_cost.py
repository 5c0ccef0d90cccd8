"""Real evaluations and wall time that MBRL and model-free PPO need to reach 95% of the oracle.

Setup: examples/mbrl_default.yaml (or --config): recorded LTE traces (cached), real-evaluation
tables of SmolLM2 under the recorded packet losses (cached), then the training pipeline of
mbrl.train. Each real evaluation a learner asks for counts once and is charged at the measured
wall time of one unbatched evaluation (the tables are that function, computed once in batches).
Walls: MBRL = charged evaluations + surrogate fits + PPO on the surrogate up to the point;
model-free = charged evaluations + PPO up to the point. "95% of the oracle" is 95% of the gap
from the random policy to the oracle on held-out traces (the mean rewards are negative, see
mbrl.train). A method that never gets there is reported as "not reached".

Last line: one JSON object with mbrl_real_evals, mbrl_wall_s, mf_real_evals, mf_wall_s,
mbrl_frac_oracle, mf_frac_oracle (final held-out fractions).
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
    ap.add_argument("--target", type=float, default=0.95)
    args = ap.parse_args()

    from mbrl.config import load_config
    from mbrl.train import train

    cfg = load_config(args.config)
    t0 = time.perf_counter()
    m = train(cfg, progress=True)
    print(f"config {args.config}; pipeline wall {time.perf_counter() - t0:.1f} s; real evaluation "
          f"{m['real_eval_cost_s'] * 1000:.1f} ms each (unbatched, measured)")
    print(f"held-out: {m['states']['heldout']} decisions, {m['states']['heldout_damaged_share']:.0%} with lost packets")
    s = m["surrogate"]
    print(f"surrogate: {s['real_evals']} real evals, held-out MAE of Q {s['mae_q']:.3f}, best-k agreement "
          f"{s['best_k_agreement']:.3f}")
    for name in ("oracle", "mbrl_ppo", "modelfree_ppo", "greedy_surrogate", m["best_fixed"], "random"):
        r = m["comparison"][name]
        print(f"  {name:18s} reward {r['mean_reward']:8.3f}  frac of oracle gap {r['frac_oracle']:6.3f}  "
              f"UE share {r['ue_share']:.2f}")
    out = {}
    for key, curve_key in (("mbrl", "mbrl"), ("mf", "model_free")):
        pts = m[curve_key]["curve"]
        hit = next((p for p in pts if p["frac_oracle"] >= args.target), None)
        out[f"{key}_real_evals"] = hit["real_evals"] if hit else "not reached"
        out[f"{key}_wall_s"] = round(hit["wall_s"], 2) if hit else "not reached"
        best = max(pts, key=lambda p: p["frac_oracle"]) if pts else None
        if best:
            print(f"{key}: best held-out frac {best['frac_oracle']:.3f} at {best['real_evals']} real evals, "
                  f"{best['wall_s']:.1f} s")
    out["mbrl_frac_oracle"] = round(m["comparison"]["mbrl_ppo"]["frac_oracle"], 4)
    out["mf_frac_oracle"] = round(m["comparison"]["modelfree_ppo"]["frac_oracle"], 4) \
        if "modelfree_ppo" in m["comparison"] else None
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
