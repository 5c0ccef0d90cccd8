"""The learners compared by mbrl.train, one entry each in :data:`LEARNERS`.

Every learner gets the same :class:`Context` (dataset, config, held-out referee) and a ledger of
its own (mbrl.evaluator.TableEvaluator over an mbrl.ledger.Ledger): the one accounting rule, so a
learner that asks the same (window, lost set, k) twice, from training or from ranking its
checkpoints, pays once, and intact states are free for all. Every paid question is entered
under its purpose (``surrogate_fit``, ``training_step``, ``checkpoint_choice``). Its result
(:class:`Result`) holds the deployed policy, the learning curve and what it spent, on the one
harness of both agent experiments (mbrl.harness: :class:`~mbrl.harness.Checkpoints`,
:func:`~mbrl.harness.cost_point`, :class:`~mbrl.harness.Clock`):

- ``compute_s``: measured wall time of everything the learner ran (every surrogate fit, PPO,
  checkpoint choice, table lookups), the referee's held-out checks excluded;
- ``estimated_s``: its real evaluations x the measured cost of one unbatched evaluation: an
  *estimate* (the evaluations come from a table built in batches), hence ``wall_measured:
  false`` on every point whose ``wall_s = compute_s + estimated_s``. With a real evaluator for
  the learner (``Context.real``) each paid evaluation is a real tail pass, its seconds measured
  (``measured_s``), and ``wall_measured`` true.

A new baseline is one more object with ``key``, ``policy_name``, ``label``, ``enabled(cfg)`` and
``run(ctx)``, added to :data:`LEARNERS`; train and the report iterate the list.

Deployed policy (``ppo.select_best``, default): the checkpoint with the best score on the
learner's own reward source over the train states; the held-out checks never choose anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import baselines as B
from .config import TrainConfig
from .env import MatrixScorer, SplitEnv, TableScorer
from .evaluator import MeasuredLedger, TableEvaluator
from .harness import Checkpoints, Clock, cost_point, learn, ledger_clock, sb3_model
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
        scoring = self.scoring()
        if key in self.real:
            return MeasuredLedger(self.ds.train_table, self.ds.train, self.real[key], learner=key, scoring=scoring)
        return TableEvaluator(self.ds.train_table, self.ds.train, learner=key, scoring=scoring)

    def scoring(self):
        """The held-out traces' guard: their run names, refused as any learner's source."""
        from .ledger import ScoringData

        guard = ScoringData(_runs(self.ds.test), what="the held-out traces")
        guard.check(_runs(self.ds.train), "the train traces")
        return guard

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


def _runs(dec) -> set:
    """The trace runs ``dec`` holds states of (a subset keeps every name of its parent)."""
    return {dec.trace[int(i)] for i in np.unique(dec.trace_id)} if dec.trace else set()


@dataclass
class Result:
    policy: Callable
    model: object
    ledger: TableEvaluator
    curve: list = field(default_factory=list)
    deployed: dict | None = None
    extra: dict = field(default_factory=dict)


def ppo(env, cfg: TrainConfig, seed: int, method: str = "ppo", learning_rate: float | None = None):
    """``method`` (PPO by default) with the config's settings, from the one SB3 factory
    (mbrl.harness.sb3_model); ``learning_rate`` null: ``ppo.learning_rate``."""
    p = cfg.ppo
    return sb3_model(method, env, seed=seed, learning_rate=p.learning_rate if learning_rate is None else learning_rate,
                     gamma=p.gamma, hidden=p.hidden, norm_reward=p.norm_reward, n_steps=p.n_steps,
                     batch_size=p.batch_size, n_epochs=p.n_epochs, ent_coef=p.ent_coef,
                     learning_starts=min(1000, max(1, cfg.model_free.timesteps // 10)))


def offer(cps: Checkpoints, model, steps: int, own: float, held: dict, ledger: TableEvaluator, clock: Clock,
          **more) -> dict:
    """One checkpoint offered (deployed only, mbrl.harness.Checkpoints) with what the learner has
    spent; ``real_evals`` (= ``paid``), ``lookups`` and ``eval_s`` (the estimated seconds) keep
    the trace world's names beside the harness's."""
    cost = {**cost_point(ledger.ledger, clock), "real_evals": ledger.real_evals, "lookups": ledger.lookups,
            "eval_s": ledger.charged_s, **more}
    return cps.offer(model, steps, own, held, cost)


def deployed(cps: Checkpoints) -> dict:
    """The deployed checkpoint's held-out figures, with where it came from under ``deployed``."""
    d = cps.deployed
    return {**{k: v for k, v in d.items() if k not in ("steps", "own_score", "run")},
            "deployed": {"seed": d.get("run", 0), "steps": d["steps"], "own_score": d["own_score"]}}


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
        ledger = ctx.ledger(self.key)
        clock = ledger_clock(ledger.ledger)
        with ledger.paying_for("surrogate_fit"):
            sur, log, fit_s = fit_surrogate(ds, cfg, ledger, ctx.progress)
        q_train = predict_q(sur, ds.train, L, cfg)
        cells = known_cells(ledger, ds.train, L, cfg.reward)
        for s, k, y in cells:  # real answers already paid for (reused ones included): no guessing there
            q_train[s, k] = y
        cps = Checkpoints(cfg.ppo.select_best)
        for run in range(cfg.ppo.seeds):
            seed = cfg.seed + run
            env = SplitEnv(ds.train, MatrixScorer(q_train), L, **ctx.env_kw())
            env.reset(seed=seed)
            model = ppo(env, cfg, seed)

            def check(steps, model=model, run=run):
                own = ctx.own_score(model, q_train)  # the surrogate's table: free
                held = {**clock.referee(ctx.check, model), "run": run}
                offer(cps, model, run * cfg.ppo.timesteps + steps, own, held, ledger, clock)
                if ctx.progress:
                    print(f"  mbrl ppo seed {run} {steps} steps: surrogate score {own:.3f}, held-out "
                          f"{held['frac_skyline']:.1%} of skyline, deployed {cps.deployed['frac_skyline']:.1%}",
                          flush=True)

            learn(model, cfg.ppo.timesteps, cfg.ppo.eval_every, check)
        model = cps.restore(model)
        surrogate = {**surrogate_metrics(sur, ds, cfg), "real_evals": ledger.real_evals, "known_cells": len(cells),
                     "reused_cells": len(cells) - ledger.real_evals, "charged_eval_s": ledger.charged_s,
                     "fit_s": fit_s, "rounds": log.rounds}
        return Result(ctx.policy(model), model, ledger, cps.curve, deployed(cps),
                      {"surrogate": surrogate, "q_train": q_train, "sur": sur})


class ModelFree:
    """The paper's baseline: a stable-baselines3 learner (``method``: PPO as in the paper, A2C,
    DQN) asking the real evaluator at every step (through its ledger: repeats and intact states
    free), its checkpoints ranked on the train states from real answers (a pair never asked is
    paid for then, entered as ``checkpoint_choice``)."""

    def __init__(self, method: str = "ppo"):
        self.method = method
        self.key = "model_free" if method == "ppo" else f"model_free_{method}"
        self.policy_name, self.label = f"modelfree_{method}", f"model-free {method.upper()}"

    def enabled(self, cfg: TrainConfig) -> bool:
        return cfg.model_free.enabled and self.method in cfg.model_free.methods

    def run(self, ctx: Context) -> Result:
        ds, cfg, L = ctx.ds, ctx.cfg, ctx.L
        ledger = ctx.ledger(self.key)
        clock = ledger_clock(ledger.ledger)
        q = _LedgerQ(ledger, cfg.reward)
        env = SplitEnv(ds.train, q, L, **ctx.env_kw())
        env.reset(seed=cfg.seed)
        model = ppo(env, cfg, cfg.seed, self.method, getattr(cfg.model_free.step_sizes, self.method))
        cps = Checkpoints(cfg.ppo.select_best)

        def check(steps):
            with ledger.paying_for("checkpoint_choice"):
                own = ctx.own_score(model, q) if cfg.ppo.select_best else float("nan")
            held = clock.referee(ctx.check, model)
            chosen = ledger.ledger.totals()["by_purpose"]["checkpoint_choice"]["paid"]
            offer(cps, model, steps, own, held, ledger, clock, selection_real_evals=chosen)
            if ctx.progress:
                print(f"  model-free {self.method} {steps} steps ({ledger.real_evals} real evals, {chosen} of "
                      f"them for checkpoint choice, {ledger.lookups} lookups): held-out {held['frac_skyline']:.1%} "
                      f"of skyline, deployed {cps.deployed['frac_skyline']:.1%}", flush=True)

        learn(model, cfg.model_free.timesteps, cfg.ppo.eval_every, check)
        model = cps.restore(model)
        return Result(ctx.policy(model), model, ledger, cps.curve, deployed(cps))


LEARNERS = [MBRL(), ModelFree("ppo"), ModelFree("a2c"), ModelFree("dqn")]
