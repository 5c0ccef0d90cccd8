"""The seed paper's experiment: real evaluations and wall time of PPO on an offline surrogate
against PPO, A2C and DQN trained on real evaluations (issue 14, item 4).

Setup: examples/mbrl_paper.yaml (or --config); mbrl.paper runs it per seed (--seeds sets
``seed``: the learners, the surrogate's fit masks and initialisation; the bank of real
evaluations and the held-out episodes stay the same). Run folders under --out, one per seed,
with the figures (ppl_vs_k.png, reward_vs_steps.png, reward_vs_evals.png, cost_ratio.png).

Charging (one rule for all, mbrl.paper): a real evaluation is one perplexity of the eval
windows under one fresh i.i.d. element mask at a damaged (p, k) cell (p = 0 free for all); one
stratified on its decisive elements (``bank.decisive``, ``surrogate.decisive``) is charged 2.
MBRL's evaluations are real tail passes, timed: measured. A model-free step's evaluation is a
draw from the bank, charged at that entry's seconds measured when the bank was built: an
ESTIMATE of the live cost (wall_measured false). --measure-live STEPS runs model-free A2C for
STEPS steps with a real evaluation at every damaged step (seed of the first --seeds), timed end to
end, to check that estimate (with --seeds none: only that).

Scores: mean true reward per step (bank means) of the last policy on fixed held-out episodes, as
a share of the gap from the random policy to the optimum (dynamic programming on the true
reward). Last line: one JSON object, a list per key over the seeds: per method
``<m>_real_evals``, ``<m>_wall_s``, ``<m>_wall_measured``, ``<m>_final_frac``,
``<m>_final_reward``, ``<m>_train_reward`` (last quarter of training, as received),
``<m>_steps_to_95``, ``<m>_evals_to_95`` ("not reached" where not), then
``evals_ratio_<m>`` and ``wall_ratio_<m>`` (model-free over MBRL, wall ratios estimated),
``best_fixed_frac``, ``surrogate_mae_q``, ``surrogate_best_k_agreement`` (against the bank),
``surrogate_cv_best_k_agreement`` and ``surrogate_cv_best_k_regret`` (on its own fit evaluations), ``eval_s_mean``; with
--measure-live a ``live`` object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples" / "mbrl_paper.yaml"))
    ap.add_argument("--seeds", default="0", help="comma-separated seeds ('none': only --measure-live)")
    ap.add_argument("--out", default=None, help="folder for the run folders (default: a new one under runs/)")
    ap.add_argument("--measure-live", type=int, default=0, metavar="STEPS",
                    help="also run model-free A2C for STEPS steps on live real evaluations, timed end to end")
    args = ap.parse_args()

    from cosim.run.rundir import new_run_dir
    from mbrl.paper import measure_live, run_paper
    from mbrl.paper_config import load_paper_config, with_paper_overrides

    cfg = load_paper_config(args.config)
    base = new_run_dir(args.out, "paper_bench")
    seeds = [] if args.seeds == "none" else [int(s) for s in args.seeds.split(",")]
    rows = []
    for seed in seeds:
        c = with_paper_overrides(cfg, {"seed": seed})
        t0 = time.perf_counter()
        m = run_paper(c, out=base / f"seed{seed}", progress=True)
        report(m, seed, time.perf_counter() - t0)
        rows.append(figures(m))
        print(json.dumps(rows[-1]), flush=True)
    out = {key: [r[key] for r in rows] for key in rows[0]} if rows else {}
    if args.measure_live:
        live = measure_live(with_paper_overrides(cfg, {"seed": seeds[0] if seeds else cfg.seed}), args.measure_live)
        print(f"live model-free {live['method']}, {live['env_steps']} steps: {live['real_evals']} real tail passes, "
              f"{live['wall_s']:.1f} s MEASURED end to end ({live['eval_s_measured']:.1f} s in evaluations); "
              f"the bank's estimate for the same evaluations: {live['eval_s_bank_estimate']:.1f} s")
        out["live"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in live.items()}
    print(f"run folders: {base}")
    print(json.dumps(out))
    return 0


def report(m: dict, seed: int, wall: float) -> None:
    s, refs = m["setup"], m["references"]
    print(f"--- seed {seed}: {wall:.0f} s. SmolLM2 L = {s['L']}, ks {s['ks']}, ps {s['ps']}, clean perplexity "
          f"{s['clean_ppl']:.2f} on {s['scored_tokens_per_eval']} tokens per evaluation; bank {s['bank_entries']} "
          f"entries charged as {s['bank_evals']} real evaluations ({s['bank_masks']} masks per damaged cell, "
          f"decisive {s['bank_decisive']}, built {s['bank_built']}), {s['eval_s_mean']:.3f} s per entry (measured)")
    print(f"best k per p (true reward): {refs['best_k_per_p']}")
    print(f"held-out reward per step: optimum {refs['optimum']:.3f}, best fixed k = {refs['best_fixed_k']} "
          f"{refs['best_fixed']:.3f}, random {refs['random']:.3f}")
    su = m.get("surrogate")
    if su:
        print(f"surrogate ({su['form']}): {su['real_evals']} real evals ({su['evaluations']} made, "
              f"{su['refined']} cells refined; {su['eval_s']:.1f} s measured), fit "
              f"{su['fit_s']:.1f} s; on its own fit evaluations (each mask left out in turn): MAE of ln(PPL/clean) "
              f"{su['cv_mae_log_ratio']:.3f}, best k agreement {su['cv_best_k_agreement']:.0%}, regret {su['cv_best_k_regret']:.3f}; against the bank: MAE of ln(PPL/clean) {su['mae_log_ratio']:.3f}, of Q {su['mae_q']:.3f}; best k right for "
              f"{su['best_k_agreement']:.0%} of the damaged p; planned on it (the optimum on its table, true reward) "
              f"{su['planned_frac']:.3f} of the gap")
    for name, r in m["methods"].items():
        t = m["target_95"][name]
        print(f"  {name:9s} real evals {r['real_evals']:7d}  wall {r['wall_s']:8.1f} s "
              f"({'measured' if r['wall_measured'] else 'evaluations ESTIMATED'})  final {r['final_reward']:7.3f} = "
              f"{r['final_frac']:.3f} of the gap; 95 % at {t['steps']} steps / {t['real_evals']} real evals")
    for name, c in m.get("cost_ratio", {}).items():
        if name != "paper":
            print(f"  cost ratio {name}/mbrl_ppo: {c['real_evals']:.0f}x real evaluations, {c['wall_s']:.0f}x wall "
                  f"(estimated)")
    print(f"  paper: {m['cost_ratio']['paper']['wall_s']:.0f}x (24 days / 7.7 min)" if "cost_ratio" in m else "")


def figures(m: dict) -> dict:
    out = {}
    for name, r in m["methods"].items():
        t = m["target_95"][name]
        out.update({f"{name}_real_evals": r["real_evals"], f"{name}_wall_s": round(r["wall_s"], 1),
                    f"{name}_wall_measured": r["wall_measured"], f"{name}_final_frac": round(r["final_frac"], 4),
                    f"{name}_final_reward": round(r["final_reward"], 4),
                    f"{name}_train_reward": round(r["train_reward"], 4), f"{name}_steps_to_95": t["steps"],
                    f"{name}_evals_to_95": t["real_evals"]})
    for name, c in m.get("cost_ratio", {}).items():
        if name != "paper":
            out[f"evals_ratio_{name}"], out[f"wall_ratio_{name}"] = round(c["real_evals"], 1), round(c["wall_s"], 1)
    refs = m["references"]
    out["best_fixed_frac"] = round((refs["best_fixed"] - refs["random"]) / (refs["optimum"] - refs["random"]), 4)
    if "surrogate" in m:
        out["surrogate_mae_q"] = round(m["surrogate"]["mae_q"], 4)
        out["surrogate_best_k_agreement"] = round(m["surrogate"]["best_k_agreement"], 3)
        out["surrogate_planned_frac"] = round(m["surrogate"]["planned_frac"], 4)
        out["surrogate_cv_best_k_agreement"] = round(m["surrogate"]["cv_best_k_agreement"], 3)
        out["surrogate_cv_best_k_regret"] = round(m["surrogate"]["cv_best_k_regret"], 4)
    out["eval_s_mean"] = round(m["setup"]["eval_s_mean"], 4)
    return out


if __name__ == "__main__":
    sys.exit(main())
