"""Chooses the paper experiment's settings on training data only (issue 28): the surrogate's form
and fit masks per cell, the observation form and reward normalisation, and every learner's step
size from one grid. No scoring data exists here: the world is built without it
(mbrl.paper.build_world(scoring=False)), so the criterion reads the training bank.

Every real evaluation this script pays is setting selection's cost, kept in ledgers
(mbrl.ledger, purpose ``setting_selection``) and reported as ``selection_evals``: the fit
evaluations of step 1, every selection run's draws and surrogate fits, and the training bank
once (the criterion reads its mean reward).

1. The surrogate's real evaluations of each --seeds seed at the fit budget's cap
   (``surrogate.masks``), each cell's masks left out one at a time (mbrl.paper_bank.
   cross_validate). ``form``: the lower cross-validated best-k regret (ties: higher best-k
   agreement, then lower MAE of ln(PPL / clean)), averaged over the seeds. ``masks``: the
   smallest m in 1, 2 whose best k per fitted p (from m masks) equals the one from the other
   masks of the cell for every p and every split of the masks; else the cap.
2. ``env.obs`` x ``learners.norm_reward`` (--combos): every learner trained per combination and
   seed; the criterion is its deployed policy's mean reward per step on selection episodes with
   the training bank's reward (in reward units, so that no learner's share of a small gap weighs
   more than another's); the
   combination with the highest mean over learners and seeds wins.
3. ``learners.step_sizes``: every learner trained at every value of ``learners.grid`` (the same
   grid for each: PPO, A2C, DQN and MBRL's PPO), step 2's combination, per seed; each learner's
   value with the highest mean criterion wins.

``python benchmarks/mbrl_paper_select.py [--seeds 50] [--steps 1,2,3] [--save]``; the chosen
values are then written into examples/mbrl_paper.yaml by hand and committed (frozen) before the
scoring bank is built. Last line one JSON object: ``chosen``, the figures of each step, and
``selection_evals`` (charged real evaluations of everything above).
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples" / "mbrl_paper.yaml"))
    ap.add_argument("--seeds", default="50", help="selection seeds (none of the benchmark's 0-9)")
    ap.add_argument("--steps", default="1,2,3", help="which steps to run (module doc)")
    ap.add_argument("--combos", default="onehot:1,onehot:0,scalar:1,scalar:0", help="obs:norm_reward pairs")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)

    from mbrl.ledger import SELECTION, Ledger
    from mbrl.paper import build_world, fit_mbrl
    from mbrl.paper_config import load_paper_config, with_paper_overrides

    cfg = load_paper_config(args.config)
    seeds = [int(x) for x in args.seeds.split(",")]
    steps = {int(x) for x in args.steps.split(",")}
    world = build_world(cfg, progress=True, scoring=False)
    bank = world.bank
    bank_read = Ledger("selection criterion")  # the criterion reads the whole training bank's mean, once
    bank_read.add_bank("train", bank.entry_ids().values())
    for (i, j, m), eid in bank.entry_ids().items():
        bank_read.draw(SELECTION, float(bank.secs[i, j, m]), charge=int(bank.evals[i, j, m]), bank="train",
                       bank_entry=eid)
    spent, out = [bank_read.totals()["all"]], {"chosen": {}}  # every ledger's tally, all purposes
    fits = {}  # seed -> MBRL's surrogate, fitted once per seed (and paid once) for every selection run
    if 1 in steps:
        out["forms"], led, evals = choose_form(cfg, world, seeds)
        out["chosen"].update(form=out["forms"]["form"], masks=out["forms"]["masks"])
        cfg = with_paper_overrides(cfg, {"surrogate": {"form": out["forms"]["form"], "masks": out["forms"]["masks"]}})
        if cfg.surrogate.masks == evals[seeds[0]]["ppl"].shape[1]:  # step 1's evaluations are the fit's
            fits = {seed: fit_mbrl(with_paper_overrides(cfg, {"seed": seed}), world, led, SELECTION, evals[seed])
                    for seed in seeds}
        spent.append(led.totals()["all"])
    if 2 in steps:
        out["combos"] = {}
        for combo in filter(None, args.combos.split(",")):
            obs, norm = combo.split(":")
            c = with_paper_overrides(cfg, {"env": {"obs": obs}, "learners": {"norm_reward": bool(int(norm))}})
            out["combos"][combo] = criterion(c, world, seeds, spent, combo, fits)
        best = max(out["combos"], key=lambda k: out["combos"][k]["mean"])
        obs, norm = best.split(":")
        out["chosen"].update(obs=obs, norm_reward=bool(int(norm)))
        cfg = with_paper_overrides(cfg, {"env": {"obs": obs}, "learners": {"norm_reward": bool(int(norm))}})
    if 3 in steps:
        out["step_sizes"] = {f"{lr:g}": criterion(cfg, world, seeds, spent, f"step size {lr:g}", fits, lr)
                             for lr in cfg.learners.grid}
        out["chosen"]["step_sizes"] = {
            m: float(max(cfg.learners.grid, key=lambda lr: out["step_sizes"][f"{lr:g}"]["per_learner"][m]))
            for m in cfg.learners.methods}
    for key in ("paid", "estimated_s", "measured_s"):
        out[f"selection_{'evals' if key == 'paid' else key}"] = sum(t[key] for t in spent)
    out["seeds"] = seeds
    print(f"chosen {out['chosen']}; selection cost {out['selection_evals']} real evaluations", flush=True)
    print(json.dumps(out))
    rec.save(out)
    return 0


def criterion(cfg, world, seeds: list, spent: list, label: str, fits: dict, lr: float | None = None) -> dict:
    """Every learner trained per seed (its evaluations paid for setting selection, its ledger's
    tally appended to ``spent``; MBRL on the seed's surrogate in ``fits``, fitted there if
    missing); per learner the mean over seeds of its deployed policy's mean reward per step on
    the training bank's selection episodes, and the mean over learners."""
    from mbrl.paper import run_learner
    from mbrl.paper_config import with_paper_overrides

    per = {}
    for method in cfg.learners.methods:
        vals = []
        for seed in seeds:
            t0 = time.perf_counter()
            r = run_learner(method, with_paper_overrides(cfg, {"seed": seed}), world, learning_rate=lr,
                            purpose="setting_selection", sur=fits.get(seed) if method == "mbrl_ppo" else None)
            if method == "mbrl_ppo":
                fits[seed] = r["surrogate"]
            spent.append(r["ledger"]["all"])
            vals.append(r["final"]["mean_reward"])
            print(f"  {label} {method} seed {seed}: deployed mean reward {vals[-1]:.3f} on training data, "
                  f"{r['ledger']['all']['paid']} paid for selection ({time.perf_counter() - t0:.0f} s)", flush=True)
        per[method] = float(np.mean(vals))
    return {"per_learner": per, "mean": float(np.mean(list(per.values())))}


def choose_form(cfg, world, seeds: list) -> tuple[dict, object, dict]:
    """Step 1 (module doc): the surrogate's form and masks per cell, from each seed's fit
    evaluations; also its ledger and those evaluations (seed -> fit_evals' dict)."""
    from mbrl.ledger import SELECTION, Ledger
    from mbrl.paper_bank import cell_reward, cell_table, cross_validate, fit_evals
    from mbrl.paper_config import with_paper_overrides

    setup, rw = world.setup, cfg.reward
    led = Ledger("selection: surrogate form")
    src = ("windows", setup.first_window)
    pay = lambda e: led.draw(SELECTION, e.secs, charge=e.charge, source=src)  # noqa: E731
    per_seed, evs = {}, {}
    for seed in seeds:
        c = with_paper_overrides(cfg, {"seed": seed})
        evs[seed] = e = fit_evals(c, setup, pay)
        per_seed[seed] = {f: cross_validate(c, setup.ks, setup.L, e["cells"], e["ppl"], setup.clean, rw, f)
                          for f in ("table", "mlp")}
        print(f"  seed {seed}: {per_seed[seed]}", flush=True)
    cv = {f: {key: float(np.mean([r[f][key] for r in per_seed.values()])) for key in r0}
          for f, r0 in next(iter(per_seed.values())).items()}
    form = max(cv, key=lambda f: (-cv[f]["cv_best_k_regret"], cv[f]["cv_best_k_agreement"], -cv[f]["cv_mae_log_ratio"]))
    ev = evs[seeds[0]]
    cells, ppl, clean, ks, L = ev["cells"], ev["ppl"], setup.clean, setup.ks, setup.L
    pis, kjs = sorted({i for i, _ in cells}), sorted({j for _, j in cells})

    def best_k(sub):  # reward-best fitted k per fitted p from the cell means of ``sub`` (cells, m)
        y = cell_table(cells, np.log(sub.mean(axis=1) / clean), (len(cfg.channel.ps), len(ks)))
        r = cell_reward(rw, y[:, kjs], clean, np.asarray(ks)[kjs], L)
        return [int(np.argmax(r[i])) for i in pis]

    M, agree = ppl.shape[1], {}
    for m in (1, 2):
        if m < M:
            hits = []
            for sub in itertools.combinations(range(M), m):
                rest = [x for x in range(M) if x not in sub]
                hits += [a == b for a, b in zip(best_k(ppl[:, list(sub)]), best_k(ppl[:, rest]))]
            agree[m] = float(np.mean(hits))
    masks = next((m for m in (1, 2) if agree.get(m) == 1.0), M)
    print(f"form: {cv} -> {form}; masks: best-k agreement with the other masks {agree} -> {masks}", flush=True)
    return {"cv": cv, "per_seed": per_seed, "form": form, "masks_agreement": agree, "masks": masks}, led, evs


if __name__ == "__main__":
    sys.exit(main())
