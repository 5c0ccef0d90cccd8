"""The seed paper's own experiment (issue 14, item 4) on the one referee (issue 28, mbrl.harness):
PPO on an offline surrogate of the reward on (p, k) against PPO, A2C and DQN (stable-baselines3)
trained on real evaluations.

``layersplit paper examples/mbrl_paper.yaml --out DIR`` (mbrl.paper_config for the settings):

1. the data, built once and cached (mbrl.paper_bank): the *training bank* (the first
   ``model.windows`` corpus windows, mask seeds from ``bank.seed``), which model-free learners
   draw from, and the *scoring bank* (later windows, ``scoring.windows_from``, mask seeds from
   ``scoring.seed``), whose per-cell mean is the true reward every policy is scored with. No
   learner, fit, checkpoint choice or setting selection reads the scoring bank: each learner's
   ledger (mbrl.ledger) refuses its entries and windows;
2. the references on the scoring episodes (``learners.heldout_*``) with the scoring bank's
   reward: the optimum (dynamic programming), the random policy, and the best fixed split
   *chosen on training data* (the training bank's reward on the training episodes), with the
   adaptive gain (optimum - best fixed, per episode) and its 95 % interval;
3. ``mbrl_ppo``: the surrogate from its own fresh real evaluations on the training windows
   (measured, paid in its ledger for ``surrogate_fit``), then PPO on the surrogate's reward alone;
4. ``ppo``, ``a2c``, ``dqn``: the same environment with a bank draw at every damaged step, paid
   in the learner's ledger for ``training_step`` (seconds: the entry's, measured when the bank
   was built, an ESTIMATE of a live draw; ``wall_measured`` false);
5. every ``eval_every`` steps a checkpoint, scored by the learner's own criterion on its own data
   (free): its policy's mean reward on its training episodes with *its* reward table (MBRL: the
   surrogate's; model-free: the mean of the draws it received per cell). The deployed policy is
   the best so far by that criterion (mbrl.harness.Checkpoints); the referee scores it on the
   scoring data (not charged, not timed into the learner).

Every figure is of the deployed policy, as ``gain_share`` (the share of the gap from the best
fixed split to the optimum: a constant split scores about 0) beside ``random_share`` (random ->
optimum). ``train_reward``: each learner's mean reward per step over the last quarter of its
training steps, as received.

Run folder: ``config.yaml`` (resolved), ``metrics.json``, ``curves.csv``, ``ppl_vs_k.png``,
``reward_vs_steps.png``, ``reward_vs_evals.png``, ``cost_ratio.png``.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import to_dict
from .harness import Checkpoints, cost_point, learn, ledger_clock, sb3_model, shares
from .ledger import Ledger, ScoringData, assert_disjoint
from .paper_bank import Bank, build_bank, fit_surrogate, load_setup, scoring_section, surrogate_error
from .paper_config import PaperConfig
from .paper_env import (BankScorer, PaperEnv, TableScorer, best_fixed_index, heldout_episodes, optimum_act,
                        references, sb3_act, score)

PAPER_DAYS_S, PAPER_SURROGATE_S = 24 * 86400.0, 7.7 * 60  # the paper: 24 days against 7.7 minutes
_SEED_OFFSET = {"mbrl_ppo": 0, "ppo": 1, "a2c": 2, "dqn": 3}


def learner_model(method: str, env, cfg: PaperConfig, seed: int, learning_rate: float | None = None):
    """The SB3 learner of ``method`` (mbrl_ppo is PPO) with the config's step size for it."""
    lc = cfg.learners
    lr = getattr(lc.step_sizes, method) if learning_rate is None else learning_rate
    return sb3_model("ppo" if method == "mbrl_ppo" else method, env, seed=seed, learning_rate=lr, gamma=lc.gamma,
                     hidden=lc.hidden, norm_reward=lc.norm_reward, n_steps=lc.n_steps,
                     batch_size=64 if lc.n_steps % 64 == 0 else lc.n_steps,
                     learning_starts=min(1000, lc.timesteps // 10))


@dataclass
class World:
    """The data of one configuration. Learners read ``setup`` (the training windows' evaluator),
    ``bank`` (the training bank) and ``train_R`` (its mean reward table); the scoring side is the
    :class:`Referee`'s, and ``scoring`` (mbrl.ledger.ScoringData) names its ids to every ledger."""

    setup: object
    bank: Bank
    train_R: np.ndarray
    scoring: ScoringData
    referee: "Referee"


class Referee:
    """Scores a policy on ``episodes`` with the reward table ``R`` (the scoring bank's true reward
    and the scoring episodes, or for setting selection the training bank's and selection
    episodes); ``refs`` holds the references there (mbrl.paper_env.references)."""

    def __init__(self, cfg: PaperConfig, R: np.ndarray, episodes: dict, bank: Bank, fixed_j: int):
        self.cfg, self.ks, self.L, self.clean = cfg, bank.ks, bank.L, bank.clean
        self.R, self.episodes = R, episodes
        self.refs = references(R, episodes, cfg, bank.ks, bank.L, fixed_j)

    def __call__(self, act, cfg: PaperConfig | None = None) -> dict:
        """``act``'s figures; ``cfg``: the learner's, for how it observes (env.obs may differ in selection)."""
        r = score(act, self.episodes, self.R, cfg or self.cfg, self.ks, self.L)
        return {"mean_reward": r, **shares(r, self.refs)}


def build_world(cfg: PaperConfig, progress: bool = False, cache: bool = True, scoring: bool = True) -> World:
    """Both banks (cached), the guard between them, and the referee with the best fixed split
    chosen on the training bank and the training episodes. ``scoring=False`` (setting
    selection): no scoring bank is built or read; the referee scores on the training bank with
    selection episodes (a stream of their own)."""
    setup = load_setup(cfg)
    bank = build_bank(cfg, setup, progress, cache)
    train_R = bank.true_reward(cfg.reward)
    fixed_j = best_fixed_index(train_R, heldout_episodes(cfg, len(bank.ks), own=True), cfg, bank.ks, bank.L)
    if not scoring:
        episodes = heldout_episodes(cfg, len(bank.ks), own=True, stream=2)
        return World(setup, bank, train_R, ScoringData(()), Referee(cfg, train_R, episodes, bank, fixed_j))
    score_bank = build_bank(cfg, load_setup(cfg, cfg.scoring_first_window), progress, cache, scoring_section(cfg))
    W = cfg.model.windows
    s_windows = range(score_bank.first_window, score_bank.first_window + W)
    assert_disjoint(range(bank.first_window, bank.first_window + W), s_windows, "corpus windows")
    guard = ScoringData(set(score_bank.entry_ids().values()) | {("windows", w) for w in s_windows},
                        what="the scoring bank")
    guard.check(bank.entry_ids().values(), "the training bank")
    referee = Referee(cfg, score_bank.true_reward(cfg.reward), heldout_episodes(cfg, len(bank.ks)), score_bank,
                      fixed_j)
    return World(setup, bank, train_R, guard, referee)


def fit_mbrl(cfg: PaperConfig, world: World, ledger: Ledger, purpose: str = "surrogate_fit",
             evals: dict | None = None) -> dict:
    """The surrogate (each new evaluation paid in ``ledger`` for ``purpose``, measured; ``evals``:
    fit evaluations already paid, as mbrl.paper_bank.fit_surrogate) and its reward table ``R``."""
    bank, src = world.bank, ("windows", world.setup.first_window)
    sur = fit_surrogate(cfg, world.setup, evals,
                        pay=lambda e: ledger.draw(purpose, e.secs, charge=e.charge, source=src))
    sur["q"] = cfg.reward.q(bank.clean * np.exp(sur["log_ratio"]), bank.clean)
    sur["R"] = cfg.reward.reward(sur["q"], np.asarray(bank.ks)[None, :], bank.L)
    # what MBRL would reach with a planner instead of PPO: the optimum on the surrogate's table (referee figure)
    sur["planned"] = world.referee(optimum_act(sur["R"], cfg, bank.ks, bank.L))
    return sur


def run_learner(method: str, cfg: PaperConfig, world: World, seed: int | None = None,
                learning_rate: float | None = None, purpose: str = "training_step", sur: dict | None = None) -> dict:
    """Trains one learner on its own ledger; checkpoints every eval_every steps (module doc).
    ``purpose``: what its paid evaluations are for (``setting_selection`` in a selection run,
    whose world has no scoring data: build_world(scoring=False)); ``sur``: MBRL's surrogate
    (fit_mbrl) when the caller has fitted and paid for it already (selection runs of one seed)."""
    bank, referee = world.bank, world.referee
    ledger = Ledger(method, world.scoring)
    clock = ledger_clock(ledger)
    seed = cfg.seed * 10 + _SEED_OFFSET[method] if seed is None else seed
    if method == "mbrl_ppo":
        sur = sur or fit_mbrl(cfg, world, ledger, "surrogate_fit" if purpose == "training_step" else purpose)
        scorer = TableScorer(sur["q"])
        own_R = lambda: sur["R"]  # noqa: E731
    else:
        scorer = BankScorer(bank, cfg.reward, seed, ledger, purpose=purpose)
        own_R = scorer.own_reward
    env = PaperEnv(cfg, bank.ks, bank.L, scorer)
    own_episodes = heldout_episodes(cfg, len(bank.ks), own=True)
    model = learner_model(method, env, cfg, seed, learning_rate)
    cps = Checkpoints()

    def check(steps: int) -> None:
        own = score(sb3_act(model), own_episodes, own_R(), cfg, bank.ks, bank.L)
        cps.offer(model, steps, own, clock.referee(referee, sb3_act(model), cfg), cost_point(ledger, clock))

    learn(model, cfg.learners.timesteps, cfg.learners.eval_every, check)
    tail = env.rewards[-max(1, len(env.rewards) // 4):]
    last = cps.curve[-1]
    out = {"final": cps.deployed, "train_reward": float(np.mean(tail)), "env_steps": scorer.steps,
           "paid": last["paid"], "wall_s": last["wall_s"], "compute_s": last["compute_s"],
           "measured_s": last["measured_s"], "estimated_s": last["estimated_s"],
           "wall_measured": last["wall_measured"], "learning_rate": model.learning_rate, "curve": cps.curve,
           "ledger": ledger.to_dict()}
    if method == "mbrl_ppo":
        out["surrogate"] = sur
    return out


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
    model = learner_model(method, env, cfg, cfg.seed * 10 + _SEED_OFFSET[method])
    model.learn(steps)
    wall = time.perf_counter() - t0
    return {"method": method, "env_steps": scorer.steps, "real_evals": scorer.real_evals, "wall_s": wall,
            "wall_measured": True, "eval_s_measured": scorer.eval_s, "eval_s_bank_estimate": scorer.bank_s,
            "compute_s": wall - scorer.eval_s}


def run_paper(cfg: PaperConfig, out: str | Path | None = None, progress: bool = False, cache: bool = True,
              world: World | None = None) -> dict:
    """Runs the experiment for ``cfg.seed``; writes the run folder under ``out`` when given;
    returns the metrics. ``world``: the data, when already built for this configuration."""
    world = world or build_world(cfg, progress, cache)
    methods = {}
    for method in cfg.learners.methods:
        methods[method] = run_learner(method, cfg, world)
        if progress:
            m, d = methods[method], methods[method]["final"]
            print(f"{method}: {m['paid']} real evals, wall {m['wall_s']:.1f} s, deployed (step {d['steps']}) "
                  f"{d['gain_share']:.3f} of the adaptive gain, {d['random_share']:.3f} of random -> optimum",
                  flush=True)
    metrics = _metrics(cfg, world, methods)
    if out is not None:
        write_outputs(cfg, metrics, world.bank, Path(out))
    return metrics


def _metrics(cfg: PaperConfig, world: World, methods: dict) -> dict:
    bank, ref = world.bank, world.referee
    R = ref.R
    opt_k = {f"{p:g}": int(bank.ks[int(np.argmax(R[i]))]) for i, p in enumerate(bank.ps)}
    m = {"setup": {"L": bank.L, "ks": bank.ks, "ps": bank.ps, "clean_ppl": bank.clean,
                   "scoring_clean_ppl": ref.clean,
                   "scored_tokens_per_eval": world.setup.ev.n_scored,
                   "bank_masks": cfg.bank.masks, "bank_decisive": cfg.bank.decisive,
                   "scoring_masks": cfg.scoring.masks, "scoring_windows_from": cfg.scoring_first_window,
                   "surrogate_decisive": cfg.surrogate.decisive,
                   "bank_evals": int(bank.evals.sum()),  # charged; entries: evaluations made
                   "bank_entries": int(bank.damaged().sum() * len(bank.ks) * cfg.bank.masks),
                   "bank_built": bank.built, "eval_s_mean": bank.mean_eval_s(),
                   "eval_s_note": "measured per bank entry when the bank was built"},
         "references": {**ref.refs, "best_k_per_p": opt_k}, "methods": {},
         "estimated": "model-free estimated_s and wall_s: bank draws x the entries' measured seconds (ESTIMATE)",
         "charge_rule": "one real evaluation = one tail pass per window; an evaluation stratified on its decisive "
                        "elements (lost and kept) runs twice the tail passes and is charged 2, for MBRL's fit "
                        "evaluations and for every bank draw alike; p = 0 is free; every draw paid, repeats of a "
                        "bank entry included (a bank stands in for fresh draws)"}
    for name, r in methods.items():
        sur = r.pop("surrogate", None)
        m["methods"][name] = r
        if sur is not None:
            m["surrogate"] = {k: sur[k] for k in ("form", "evaluations", "eval_s", "fit_s", "fit_loss", "cells",
                                                  "refined", "cv_mae_log_ratio", "cv_best_k_agreement",
                                                  "cv_best_k_regret")}
            m["surrogate"].update(real_evals=sur["real_evals"], planned_reward=sur["planned"]["mean_reward"],
                                  planned_gain_share=sur["planned"]["gain_share"],
                                  **surrogate_error(sur["log_ratio"], bank, cfg.reward))
    if "mbrl_ppo" in methods:
        mb = methods["mbrl_ppo"]
        m["cost_ratio"] = {name: {"paid": r["paid"] / max(mb["paid"], 1), "wall_s": r["wall_s"] / mb["wall_s"],
                                  "wall_measured": False}
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
    rows = [{"method": name, **p} for name, r in metrics["methods"].items() for p in r["curve"]]
    cols = list(rows[0]) if rows else []
    lines = [",".join(cols)] + [",".join(str(p[c]) for c in cols) for p in rows]
    (out / "curves.csv").write_text("\n".join(lines) + "\n")
    plot_ppl_vs_k(bank, out / "ppl_vs_k.png")
    plot_curves(metrics, out / "reward_vs_steps.png", "steps")
    plot_curves(metrics, out / "reward_vs_evals.png", "paid")
    plot_cost_ratio(metrics, out / "cost_ratio.png")


__all__ = ["measure_live", "run_paper", "write_outputs"]
