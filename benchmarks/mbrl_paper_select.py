"""Chooses the paper experiment's defaults on training data only (never the held-out episodes):
the surrogate's form and fit masks per cell, the observation form and reward normalisation.

1. The surrogate's real evaluations of seed 0 at the fit budget's cap (``surrogate.masks`` of
   the config, 4: 320 evaluations), each cell's masks left out one at a time (mbrl.paper_bank.
   cross_validate). ``form``: the lower cross-validated best-k regret (the reward per step its
   best k per p loses on the held-out mask; ties: higher best-k agreement, then lower MAE of
   ln(PPL / clean)), averaged over the fit evaluations of ``--form-seeds`` (each seed's own, as
   its run draws them; seed 0's alone by default). ``masks``: the smallest m in 1, 2 whose best
   k per fitted p (from m masks) equals the one from the other masks of the cell for every p
   and every split of the 4 masks; else the cap. Steps 2 and 3 then add the refinement
   (``surrogate.refine``, with step 1's form: mbrl.paper_bank.fit_surrogate, fitted once), as a run does.
2. ``env.obs`` x ``learners.norm_reward``: each of PPO on the surrogate (step 1's evaluations,
   step 1's form), PPO, A2C and DQN (bank draws) trained for ``learners.timesteps`` steps on seed
   0; the criterion is ``train_reward``, the mean reward per step over the last quarter of its
   training steps as the learner received it; the combination with the highest mean over the
   four methods wins.
3. ``learners.learning_rate`` (PPO's, shared by PPO on the surrogate and PPO on bank draws), with
   step 1's surrogate form and the config's observation form and normalisation: each
   PPO learner trained as in step 2 per rate; the rate with the highest mean ``train_reward``
   over the two wins.

``python benchmarks/mbrl_paper_select.py [--combos onehot:1,scalar:0,...] [--lrs 0.0003,0.001]
[--form-seeds 0,1,2]``; last line one JSON object.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples" / "mbrl_paper.yaml"))
    ap.add_argument("--combos", default="onehot:1,onehot:0,scalar:1,scalar:0", help="obs:norm_reward pairs")
    ap.add_argument("--lrs", default="0.0003,0.001,0.003", help="PPO learning rates (step 3)")
    ap.add_argument("--form-seeds", default="0", help="seeds whose fit evaluations step 1 averages over")
    args = ap.parse_args()

    from mbrl.paper import _SEED_OFFSET, _sb3
    from mbrl.paper_bank import (build_bank, cell_reward, cell_table, cross_validate, fit_evals, fit_surrogate,
                                  load_setup)
    from mbrl.paper_config import load_paper_config, with_paper_overrides
    from mbrl.paper_env import BankScorer, PaperEnv, TableScorer

    cfg = with_paper_overrides(load_paper_config(args.config), {"seed": 0})
    setup = load_setup(cfg)
    bank = build_bank(cfg, setup)
    t0 = time.perf_counter()
    ev = fit_evals(cfg, setup)
    print(f"fit evaluations: {ev['evaluations']} ({ev['real_evals']} charged) in {time.perf_counter() - t0:.0f} s",
          flush=True)
    cells, ppl, clean, ks, L, rw = ev["cells"], ev["ppl"], setup.clean, setup.ks, setup.L, cfg.reward
    per_seed = {}
    for seed in (int(x) for x in args.form_seeds.split(",")):
        c = with_paper_overrides(cfg, {"seed": seed})
        e = ev if seed == cfg.seed else fit_evals(c, setup)
        per_seed[seed] = {f: cross_validate(c, ks, L, e["cells"], e["ppl"], clean, rw, f) for f in ("table", "mlp")}
        print(f"  seed {seed}: {per_seed[seed]}", flush=True)
    cv = {f: {key: float(np.mean([r[f][key] for r in per_seed.values()])) for key in r0}
          for f, r0 in next(iter(per_seed.values())).items()}
    out = {"forms": cv, "forms_per_seed": per_seed}
    form = max(cv, key=lambda f: (-cv[f]["cv_best_k_regret"], cv[f]["cv_best_k_agreement"], -cv[f]["cv_mae_log_ratio"]))
    print(f"form: {cv} -> {form}", flush=True)

    pis = sorted({i for i, _ in cells})
    kjs = sorted({j for _, j in cells})

    def best_k(sub):  # reward-best fitted k per fitted p from the cell means of ``sub`` (cells, m)
        y = cell_table(cells, np.log(sub.mean(axis=1) / clean), (len(cfg.channel.ps), len(ks)))
        r = cell_reward(rw, y[:, kjs], clean, np.asarray(ks)[kjs], L)
        return [int(np.argmax(r[i])) for i in pis]

    M = ppl.shape[1]
    agree = {}
    for m in (1, 2):
        if m >= M:
            continue
        hits = []
        for sub in itertools.combinations(range(M), m):
            rest = [x for x in range(M) if x not in sub]
            hits += [a == b for a, b in zip(best_k(ppl[:, list(sub)]), best_k(ppl[:, rest]))]
        agree[m] = float(np.mean(hits))
    masks = next((m for m in (1, 2) if agree.get(m) == 1.0), M)
    out["masks_agreement"], out["masks"] = agree, masks
    print(f"masks: best-k agreement with the other masks {agree} -> {masks}", flush=True)

    cfg_f = with_paper_overrides(cfg, {"surrogate": {"form": form}})
    sur = fit_surrogate(cfg_f, setup, ev)  # refined as a run does; steps 2 and 3 leave the surrogate as it is
    print(f"refined: {sur['refined']} cells, {sur['evaluations']} evaluations ({sur['real_evals']} charged)",
          flush=True)
    q_sur = rw.q(clean * np.exp(sur["log_ratio"]), clean)

    def train_rewards(c, methods, label: str) -> dict:
        res = {}
        for method in methods:
            scorer = TableScorer(q_sur) if method == "mbrl_ppo" else \
                BankScorer(bank, rw, c.seed * 10 + _SEED_OFFSET[method])
            env = PaperEnv(c, ks, L, scorer)
            t1 = time.perf_counter()
            _sb3(method, env, c, c.seed * 10 + _SEED_OFFSET[method]).learn(c.learners.timesteps)
            res[method] = float(np.mean(env.rewards[-max(1, len(env.rewards) // 4):]))
            print(f"  {label} {method}: train_reward {res[method]:.3f} ({time.perf_counter() - t1:.0f} s)", flush=True)
        return {"train_reward": res, "mean": float(np.mean(list(res.values())))}

    out["combos"] = {}
    for combo in filter(None, args.combos.split(",")):
        obs, norm = combo.split(":")
        c = with_paper_overrides(cfg_f, {"env": {"obs": obs}, "learners": {"norm_reward": bool(int(norm))}})
        out["combos"][combo] = train_rewards(c, c.learners.methods, combo)
    out["lrs"] = {}
    ppos = [m for m in cfg.learners.methods if m in ("mbrl_ppo", "ppo")]
    for lr in filter(None, args.lrs.split(",")):
        c = with_paper_overrides(cfg_f, {"learners": {"learning_rate": float(lr)}})
        out["lrs"][lr] = train_rewards(c, ppos, f"lr {lr}")
    out["chosen"] = {"form": form, "masks": masks,
                     **{key: max(out[part], key=lambda k: out[part][k]["mean"])
                        for key, part in (("obs_norm", "combos"), ("learning_rate", "lrs")) if out[part]}}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
