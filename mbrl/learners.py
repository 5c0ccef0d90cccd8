"""The learners compared by mbrl.train, one entry each in :data:`LEARNERS`.

Every learner gets the same :class:`Context` (dataset, config, held-out referee) and a ledger of
its own (mbrl.evaluator.TableEvaluator): the one accounting rule, so a learner that asks the same
(window, lost set, k) twice, from training or from ranking its checkpoints, pays once, and
intact states are free for all. Its result (:class:`Result`) holds the deployed policy, the
learning curve and what it spent:

- ``compute_s``: measured wall time of everything the learner ran (every surrogate fit, PPO,
  checkpoint selection, table lookups), the referee's held-out checks excluded;
- ``eval_s``: its real evaluations x the measured cost of one unbatched evaluation: an
  *estimate* (the evaluations come from a table built in batches), hence ``wall_measured:
  false`` on every point whose ``wall_s = compute_s + eval_s``. With a real evaluator for the
  learner (``Context.real``) each paid evaluation is a real tail pass inside ``compute_s``,
  ``eval_s`` is 0 and ``wall_measured`` true.

A new baseline is one more class with ``key``, ``policy_name``, ``enabled(cfg)`` and
``run(ctx)``, added to :data:`LEARNERS`; train and the report iterate the list.

Deployed policy (``ppo.select_best``, default): the checkpoint with the best score on the
learner's own reward source over the train states; the held-out checks never choose anything.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import baselines as B
from .config import TrainConfig
from .env import MatrixScorer, SplitEnv, TableScorer
from .evaluator import MeasuredLedger, TableEvaluator
from .harness import Clock, sb3_model
from .surrogate import answer_groups, fit_surrogate, predict_q, surrogate_metrics


@dataclass
class Context:
    """What every learner gets: data, config, and the referee's held-out check
    ``check(model) -> {"mean_reward", "frac_oracle", "frac_skyline"}``."""

    ds: object
    cfg: TrainConfig
    check: Callable
    progress: bool = False
    real: dict = field(default_factory=dict)  # learner key -> real evaluator: its evaluations run for real

    def ledger(self, key: str) -> TableEvaluator:
        """A learner's ledger: table lookups charged at the measured single-call cost, or real
        tail passes timed inside its wall time when ``real`` has an evaluator for it."""
        if key in self.real:
            return MeasuredLedger(self.ds.train_table, self.ds.train, self.real[key])
        return TableEvaluator(self.ds.train_table, self.ds.train)

    @property
    def L(self) -> int:
        return self.ds.n_layers

    def env_kw(self) -> dict:
        c = self.cfg
        return dict(reward=c.reward, action_mode=c.env.action_mode, episode_len=c.env.episode_len, start_k=None,
                    ue_s=self.ds.train_table.ue_s, edge_s=self.ds.train_table.edge_s, damaged_share=c.env.damaged_share)

    def policy(self, model) -> Callable:
        return B.sb3_policy(model, self.L, self.cfg.env.action_mode)

    def own_score(self, model, q) -> float:
        """Mean reward of the model's policy replayed over the train states with quality ``q``."""
        t = self.ds.train_table
        return B.replay_reward(self.policy(model), self.ds.train, q, t.ue_s, t.edge_s, self.cfg.reward,
                               self.cfg.env.start_k)


@dataclass
class Result:
    policy: Callable
    model: object
    ledger: TableEvaluator
    curve: list = field(default_factory=list)
    deployed: dict | None = None
    extra: dict = field(default_factory=dict)


def ppo(env, cfg: TrainConfig, seed: int):
    """PPO with the config's settings, from the one SB3 factory (mbrl.harness.sb3_model)."""
    p = cfg.ppo
    return sb3_model("ppo", env, seed=seed, learning_rate=p.learning_rate, gamma=p.gamma, hidden=p.hidden,
                     norm_reward=p.norm_reward, n_steps=p.n_steps, batch_size=p.batch_size, n_epochs=p.n_epochs,
                     ent_coef=p.ent_coef)


def learn(model, timesteps: int, eval_every: int, check) -> None:
    """model.learn in chunks of eval_every steps, calling check(steps) after each."""
    while model.num_timesteps < timesteps:
        model.learn(min(eval_every, timesteps - model.num_timesteps), reset_num_timesteps=False)
        check(model.num_timesteps)


class Selector:
    """Keeps the checkpoint with the best score on the learner's own reward source.

    PPO on this problem drifts between good and poor policies from one check to the next, so
    the last checkpoint is a lottery; picking by held-out results would spend the referee's
    table on the learner. ``select=False`` deploys the last checkpoint."""

    def __init__(self, select: bool):
        self.select, self.score, self.model, self.state, self.info = select, -math.inf, None, None, None

    def offer(self, model, score: float, info: dict) -> None:
        if self.select and not score > self.score:
            return
        self.score, self.model, self.info = score, model, {**info, "own_score": score}
        self.state = {k: v.detach().clone() for k, v in model.policy.state_dict().items()}

    def deployed(self) -> dict:
        """What stopping now would deploy: its held-out figures and where it came from."""
        return {**{k: self.info[k] for k in ("mean_reward", "frac_oracle", "frac_skyline", "gain_share",
                                             "random_share")},
                "deployed": {k: self.info[k] for k in ("seed", "steps", "own_score")}}

    def restore(self):
        self.model.policy.load_state_dict(self.state)
        return self.model


def curve_point(sel: Selector, held: dict, own: float, ledger: TableEvaluator, clock: Clock, **more) -> dict:
    """One learning-curve point: what stopping now deploys and what the learner has spent."""
    compute_s = clock.compute_s()
    return {**sel.deployed(), **more, "real_evals": ledger.real_evals, "paid": ledger.real_evals,
            "lookups": ledger.lookups, "own_score": own,
            "frac_oracle_last": held["frac_oracle"], "frac_skyline_last": held["frac_skyline"],
            "compute_s": compute_s, "eval_s": ledger.charged_s, "wall_s": compute_s + ledger.charged_s,
            "wall_measured": ledger.measured}


class _LedgerQ:
    """Real quality through a ledger, readable as a (state, k) matrix by replay_reward."""

    def __init__(self, ledger: TableEvaluator, reward):
        self.scorer = TableScorer(ledger, reward)
        self.shape = ledger.table.ppl.shape

    def quality(self, state: int, k: int) -> float:
        return self.scorer.quality(state, k)

    def __getitem__(self, sk) -> float:
        return self.scorer.quality(int(sk[0]), int(sk[1]))


def known_cells(ledger: TableEvaluator, dec, n_layers: int, reward) -> list[tuple[int, int, float]]:
    """(state, k, Q) of every damaged state of ``dec`` whose real answer the ledger has paid for."""
    out = []
    for g in answer_groups(dec, np.flatnonzero(dec.loss_frac > 0)):
        s = int(g[0])
        for k in range(n_layers + 1):
            key = ledger.key(s, k)
            if key in ledger.memo:
                y = float(reward.q(ledger.memo[key], ledger.clean(s)))
                out.extend((int(t), k, y) for t in g)
    return out


class MBRL:
    """Surrogate from a budget of real evaluations (active learning), then PPO on it alone."""

    key, policy_name, label = "mbrl", "mbrl_ppo", "MBRL (PPO on surrogate)"

    def enabled(self, cfg: TrainConfig) -> bool:
        return True

    def run(self, ctx: Context) -> Result:
        ds, cfg, L = ctx.ds, ctx.cfg, ctx.L
        clock, ledger = Clock(), ctx.ledger(self.key)
        sur, log, fit_s = fit_surrogate(ds, cfg, ledger, ctx.progress)
        q_train = predict_q(sur, ds.train, L, cfg)
        cells = known_cells(ledger, ds.train, L, cfg.reward)
        for s, k, y in cells:  # real answers already paid for (reused ones included): no guessing there
            q_train[s, k] = y
        curve, sel = [], Selector(cfg.ppo.select_best)
        for run in range(cfg.ppo.seeds):
            seed = cfg.seed + run
            env = SplitEnv(ds.train, MatrixScorer(q_train), L, **ctx.env_kw())
            env.reset(seed=seed)
            model = ppo(env, cfg, seed)

            def check(steps, model=model, run=run):
                own = ctx.own_score(model, q_train)
                held = clock.referee(ctx.check, model)
                sel.offer(model, own, {"seed": run, "steps": steps, **held})
                curve.append(curve_point(sel, held, own, ledger, clock, seed=run,
                                         steps=run * cfg.ppo.timesteps + steps))
                if ctx.progress:
                    print(f"  mbrl ppo seed {run} {steps} steps: surrogate score {own:.3f}, held-out "
                          f"{held['frac_skyline']:.1%} of skyline, deployed {sel.deployed()['frac_skyline']:.1%}",
                          flush=True)

            learn(model, cfg.ppo.timesteps, cfg.ppo.eval_every, check)
        model = sel.restore()
        surrogate = {**surrogate_metrics(sur, ds, cfg), "real_evals": ledger.real_evals, "known_cells": len(cells),
                     "reused_cells": len(cells) - ledger.real_evals, "charged_eval_s": ledger.charged_s,
                     "fit_s": fit_s, "rounds": log.rounds}
        return Result(ctx.policy(model), model, ledger, curve, sel.deployed(),
                      {"surrogate": surrogate, "q_train": q_train, "sur": sur})


class ModelFree:
    """The paper's baseline: the same PPO asking the real evaluator at every step (through its
    ledger: repeats and intact states free), its checkpoints ranked on the train states from
    real answers (a pair never asked is paid for then)."""

    key, policy_name, label = "model_free", "modelfree_ppo", "model-free PPO"

    def enabled(self, cfg: TrainConfig) -> bool:
        return cfg.model_free.enabled

    def run(self, ctx: Context) -> Result:
        ds, cfg, L = ctx.ds, ctx.cfg, ctx.L
        clock, ledger = Clock(), ctx.ledger(self.key)
        q = _LedgerQ(ledger, cfg.reward)
        env = SplitEnv(ds.train, q, L, **ctx.env_kw())
        env.reset(seed=cfg.seed)
        model = ppo(env, cfg, cfg.seed)
        curve, sel, spent = [], Selector(cfg.ppo.select_best), {"select_evals": 0}

        def check(steps):
            evals0 = ledger.real_evals
            own = ctx.own_score(model, q) if cfg.ppo.select_best else float("nan")
            spent["select_evals"] += ledger.real_evals - evals0
            held = clock.referee(ctx.check, model)
            sel.offer(model, own, {"seed": 0, "steps": steps, **held})
            curve.append(curve_point(sel, held, own, ledger, clock, steps=steps,
                                     selection_real_evals=spent["select_evals"]))
            if ctx.progress:
                print(f"  model-free ppo {steps} steps ({ledger.real_evals} real evals, {spent['select_evals']} of "
                      f"them for selection, {ledger.lookups} lookups): held-out {held['frac_skyline']:.1%} of "
                      f"skyline, deployed {sel.deployed()['frac_skyline']:.1%}", flush=True)

        learn(model, cfg.model_free.timesteps, cfg.ppo.eval_every, check)
        model = sel.restore()
        return Result(ctx.policy(model), model, ledger, curve, sel.deployed())


LEARNERS = [MBRL(), ModelFree()]
