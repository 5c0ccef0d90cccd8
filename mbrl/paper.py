"""The seed paper's own experiment (issue 14, item 4): PPO on an offline surrogate of the reward
on (p, k) against PPO, A2C and DQN (stable-baselines3) trained on real evaluations.

``layersplit paper examples/mbrl_paper.yaml --out DIR`` (mbrl.paper_config for the settings):

1. the real evaluations: the bank (mbrl.paper_bank), whose per-cell mean is the true reward;
2. ``mbrl_ppo``: fit the surrogate from its own fresh real evaluations, then PPO on the
   surrogate's reward alone (no further evaluation);
3. ``ppo``, ``a2c``, ``dqn``: the same environment with a real evaluation at every step (a
   bank draw);
4. ``train_reward``: each learner's mean reward per step over the last quarter of its training
   steps, as it received them (the surrogate's for MBRL, bank draws for the others): training
   data, the criterion for choosing settings (never the held-out scores);
5. every ``eval_every`` steps, each learner's current policy is scored on the fixed held-out
   episodes with the true reward (the referee: not charged, not timed into the learner).

How learners are charged (one rule for all): a real evaluation is one perplexity of the eval
windows under one fresh mask at a damaged (p, k) cell, one tail pass per window; one stratified
on its decisive elements (mbrl.paper_bank) runs twice the passes and is charged 2; p = 0 is free
for all (exact). MBRL's are real tail passes timed here (``eval_s`` measured). A model-free
step's evaluation is a bank entry, charged at that entry's charge and its seconds measured when
the bank was built: ``eval_s`` is an ESTIMATE of what the same evaluation costs live
(``eval_s_measured: false``). ``compute_s`` is
measured: the surrogate fit and every learner's SB3 training, the referee's checks excluded.
``wall_s = eval_s + compute_s``, ``wall_measured`` true only when both parts are.

Every method is reported as a share of the gap from the random policy to the optimum (dynamic
programming on the true reward: mbrl.paper_env). The deployed policy is the last one.

Run folder: ``config.yaml`` (resolved), ``metrics.json``, ``curves.csv``, ``ppl_vs_k.png``,
``reward_vs_steps.png``, ``reward_vs_evals.png``, ``cost_ratio.png``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .config import to_dict
from .learners import reward_normalised
from .paper_bank import Bank, build_bank, fit_surrogate, load_setup, surrogate_error
from .paper_config import PaperConfig
from .paper_env import (BankScorer, PaperEnv, TableScorer, heldout_episodes, optimum_act, references, sb3_act,
                        score)

PAPER_DAYS_S, PAPER_SURROGATE_S = 24 * 86400.0, 7.7 * 60  # the paper: 24 days against 7.7 minutes
_SEED_OFFSET = {"mbrl_ppo": 0, "ppo": 1, "a2c": 2, "dqn": 3}


def _sb3(method: str, env, cfg: PaperConfig, seed: int):
    from stable_baselines3 import A2C, DQN, PPO

    lc = cfg.learners
    if lc.norm_reward:
        env = reward_normalised(env, lc.gamma)
    kw = dict(gamma=lc.gamma, seed=seed, device="cpu", verbose=0, policy_kwargs={"net_arch": [lc.hidden, lc.hidden]})
    if method in ("mbrl_ppo", "ppo"):
        return PPO("MlpPolicy", env, n_steps=lc.n_steps, batch_size=64 if lc.n_steps % 64 == 0 else lc.n_steps,
                   learning_rate=lc.learning_rate, **kw)
    if method == "a2c":
        return A2C("MlpPolicy", env, **kw)
    return DQN("MlpPolicy", env, learning_starts=min(1000, lc.timesteps // 10), **kw)


class _Referee:
    """Scores a learner's current policy on the held-out episodes; its time is kept apart."""

    def __init__(self, episodes, R, cfg, ks, L, refs):
        self.episodes, self.R, self.cfg, self.ks, self.L, self.refs = episodes, R, cfg, ks, L, refs
        self.seconds = 0.0

    def __call__(self, model) -> tuple[float, float]:
        t0 = time.perf_counter()
        r = score(sb3_act(model), self.episodes, self.R, self.cfg, self.ks, self.L)
        self.seconds += time.perf_counter() - t0
        return r, frac(r, self.refs)


def frac(r: float, refs: dict) -> float:
    """Share of the gap from the random policy to the optimum (1 = optimum, 0 = random)."""
    gap = refs["optimum"] - refs["random"]
    return float((r - refs["random"]) / gap) if gap > 0 else float("nan")


def run_learner(method: str, cfg: PaperConfig, bank: Bank, scorer, referee: _Referee, base: dict) -> dict:
    """Trains one learner in chunks of eval_every steps; its curve and what it spent. ``base``
    holds spending before training (the surrogate's evaluations and fit)."""
    env = PaperEnv(cfg, bank.ks, bank.L, scorer)
    t0, ref0 = time.perf_counter(), referee.seconds
    model = _sb3(method, env, cfg, cfg.seed * 10 + _SEED_OFFSET[method])
    curve = []
    measured = method == "mbrl_ppo"
    while model.num_timesteps < cfg.learners.timesteps:
        chunk = min(cfg.learners.eval_every, cfg.learners.timesteps - model.num_timesteps)
        model.learn(chunk, reset_num_timesteps=False)
        r, f = referee(model)
        compute = base["compute_s"] + time.perf_counter() - t0 - (referee.seconds - ref0)
        eval_s = base["eval_s"] + scorer.eval_s
        curve.append({"method": method, "steps": int(model.num_timesteps),
                      "real_evals": base["real_evals"] + scorer.real_evals,
                      "eval_s": eval_s, "compute_s": compute, "wall_s": eval_s + compute, "mean_reward": r, "frac": f})
    last = curve[-1]
    tail = env.rewards[-max(1, len(env.rewards) // 4):]
    return {"train_reward": float(np.mean(tail)), "env_steps": scorer.steps, "free_steps": scorer.steps - scorer.draws, "real_evals": last["real_evals"],
            "eval_s": last["eval_s"], "eval_s_measured": measured, "compute_s": last["compute_s"],
            "wall_s": last["wall_s"], "wall_measured": measured, "final_reward": last["mean_reward"],
            "final_frac": last["frac"], "curve": curve}


def measure_live(cfg: PaperConfig, steps: int, method: str = "a2c") -> dict:
    """A model-free learner for ``steps`` steps with a real tail pass at every damaged step
    (mbrl.paper_bank.LiveScorer): its wall time measured end to end, against what the bank's
    estimate charges for the same evaluations. A2C by default: it learns every 5 steps, where
    PPO would first collect a whole rollout of ``learners.n_steps``."""
    from .paper_bank import LiveScorer

    setup = load_setup(cfg)
    bank = build_bank(cfg, setup)
    scorer = LiveScorer(cfg, setup, bank)
    env = PaperEnv(cfg, bank.ks, bank.L, scorer)
    t0 = time.perf_counter()
    model = _sb3(method, env, cfg, cfg.seed * 10 + _SEED_OFFSET[method])
    model.learn(steps)
    wall = time.perf_counter() - t0
    return {"method": method, "env_steps": scorer.steps, "real_evals": scorer.real_evals, "wall_s": wall,
            "wall_measured": True, "eval_s_measured": scorer.eval_s, "eval_s_bank_estimate": scorer.bank_s,
            "compute_s": wall - scorer.eval_s}


def reach(curve: list, target: float) -> dict:
    """Steps, real evaluations and wall time at the first curve point at ``target`` of the gap."""
    hit = next((p for p in curve if p["frac"] >= target), None)
    if hit is None:
        return {"steps": "not reached", "real_evals": "not reached", "wall_s": "not reached"}
    return {"steps": hit["steps"], "real_evals": hit["real_evals"], "wall_s": round(hit["wall_s"], 2)}


def run_paper(cfg: PaperConfig, out: str | Path | None = None, progress: bool = False, cache: bool = True) -> dict:
    """Runs the experiment; writes the run folder under ``out`` when given; returns the metrics."""
    setup = load_setup(cfg)
    bank = build_bank(cfg, setup, progress, cache)
    R = bank.true_reward(cfg.reward)
    episodes = heldout_episodes(cfg, len(bank.ks))
    refs = references(R, episodes, cfg, bank.ks, bank.L)
    referee = _Referee(episodes, R, cfg, bank.ks, bank.L, refs)
    methods, sur = {}, None
    for method in cfg.learners.methods:
        if method == "mbrl_ppo":
            t0 = time.perf_counter()
            sur = fit_surrogate(cfg, setup)
            sur["compute_s"] = time.perf_counter() - t0 - sur["eval_s"]
            q = cfg.reward.q(bank.clean * np.exp(sur["log_ratio"]), bank.clean)
            # what MBRL would reach with a planner instead of PPO: the optimum on the surrogate's table,
            # scored with the true reward on the held-out episodes (a referee figure, not charged)
            plan = optimum_act(cfg.reward.reward(q, np.asarray(bank.ks)[None, :], bank.L), cfg, bank.ks, bank.L)
            sur["planned_reward"] = score(plan, episodes, R, cfg, bank.ks, bank.L)
            sur["planned_frac"] = frac(sur["planned_reward"], refs)
            base = {"real_evals": sur["real_evals"], "eval_s": sur["eval_s"], "compute_s": sur["compute_s"]}
            methods[method] = run_learner(method, cfg, bank, TableScorer(q), referee, base)
        else:
            scorer = BankScorer(bank, cfg.reward, cfg.seed * 10 + _SEED_OFFSET[method])
            base = {"real_evals": 0, "eval_s": 0.0, "compute_s": 0.0}
            methods[method] = run_learner(method, cfg, bank, scorer, referee, base)
        if progress:
            m = methods[method]
            print(f"{method}: {m['real_evals']} real evals, wall {m['wall_s']:.1f} s, final share of the optimum gap "
                  f"{m['final_frac']:.3f}", flush=True)
    metrics = _metrics(cfg, bank, R, refs, sur, methods, setup.ev.n_scored)
    if out is not None:
        write_outputs(cfg, metrics, bank, Path(out))
    return metrics


def _metrics(cfg, bank: Bank, R, refs, sur, methods, tokens: int) -> dict:
    opt_k = {f"{p:g}": int(bank.ks[int(np.argmax(R[i]))]) for i, p in enumerate(bank.ps)}
    m = {"setup": {"L": bank.L, "ks": bank.ks, "ps": bank.ps, "clean_ppl": bank.clean,
                   "scored_tokens_per_eval": tokens,
                   "bank_masks": cfg.bank.masks, "bank_decisive": cfg.bank.decisive,
                   "surrogate_decisive": cfg.surrogate.decisive,
                   "bank_evals": int(bank.evals.sum()),  # charged; entries: evaluations made
                   "bank_entries": int(bank.damaged().sum() * len(bank.ks) * cfg.bank.masks),
                   "bank_built": bank.built, "eval_s_mean": bank.mean_eval_s(),
                   "eval_s_note": "measured per bank entry when the bank was built"},
         "references": {**refs, "best_k_per_p": opt_k}, "methods": methods, "target_95": {},
         "estimated": "model-free eval_s and wall_s: bank draws x the entries' measured seconds (ESTIMATE)",
         "charge_rule": "one real evaluation = one tail pass per window; an evaluation stratified on its decisive "
                        "elements (lost and kept) runs twice the tail passes and is charged 2, for MBRL's fit "
                        "evaluations and for every bank draw alike; p = 0 is free"}
    if sur is not None:
        m["surrogate"] = {k: sur[k] for k in ("form", "real_evals", "evaluations", "eval_s", "fit_s", "compute_s",
                                              "fit_loss", "cells", "refined", "cv_mae_log_ratio", "cv_best_k_agreement",
                                              "cv_best_k_regret", "planned_reward", "planned_frac")}
        m["surrogate"].update(surrogate_error(sur["log_ratio"], bank, cfg.reward))
    for name, r in methods.items():
        m["target_95"][name] = reach(r["curve"], 0.95)
    if "mbrl_ppo" in methods:
        mb = methods["mbrl_ppo"]
        m["cost_ratio"] = {name: {"real_evals": r["real_evals"] / max(mb["real_evals"], 1),
                                  "wall_s": r["wall_s"] / mb["wall_s"], "wall_measured": False}
                           for name, r in methods.items() if name != "mbrl_ppo"}
        m["cost_ratio"]["paper"] = {"wall_s": PAPER_DAYS_S / PAPER_SURROGATE_S, "note": "24 days / 7.7 minutes"}
    return m


def write_outputs(cfg: PaperConfig, metrics: dict, bank: Bank, out: Path) -> None:
    """config.yaml, metrics.json, curves.csv and the four figures under ``out``."""
    import yaml

    from .paper_figures import plot_cost_ratio, plot_curves, plot_ppl_vs_k

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    rows = [p for r in metrics["methods"].values() for p in r["curve"]]
    cols = list(rows[0]) if rows else []
    lines = [",".join(cols)] + [",".join(str(p[c]) for c in cols) for p in rows]
    (out / "curves.csv").write_text("\n".join(lines) + "\n")
    plot_ppl_vs_k(bank, out / "ppl_vs_k.png")
    plot_curves(metrics, out / "reward_vs_steps.png", "steps")
    plot_curves(metrics, out / "reward_vs_evals.png", "real_evals")
    plot_cost_ratio(metrics, out / "cost_ratio.png")


__all__ = ["measure_live", "run_paper", "write_outputs"]
