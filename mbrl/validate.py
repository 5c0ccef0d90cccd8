"""Choosing a learner's settings on the training traces alone: leave-one-seed-out validation.

A setting such as the surrogate's acquisition design must not be picked on the held-out traces
that score the learner afterwards. :func:`cross_validate` holds out the traces of each train
seed in turn, runs the model-based pipeline (:func:`mbrl.train.train`, model-free PPO off) on
the other seeds' traces with each candidate setting, and scores the deployed policy on the
held-out seed as the benchmark scores it on the real held-out traces: the share of the
random-to-oracle gap it closes. The real-evaluation budget and the initial design shrink in
proportion to the smaller pool of damaged states, so each fold spends the same share of its
pool as the full run does. Everything comes from the train table: no held-out trace is read.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .config import TrainConfig, with_overrides
from .dataset import Dataset


def seed_folds(ds: Dataset, n_seeds: int, n_folds: int | None = None) -> list[Dataset]:
    """Validation datasets: one per train seed (or per ``n_folds`` groups of them, seed index
    modulo n_folds), its traces as ``test``, the rest as ``train``.

    The train traces are recorded variant-major with the seeds inner (mbrl.traces.record_traces),
    so trace t belongs to seed index t % n_seeds."""
    if n_seeds < 2:
        raise ValueError(f"traces.train_seeds: validation needs at least 2 train seeds, got {n_seeds}")
    n_folds = n_seeds if n_folds is None else n_folds
    if not 2 <= n_folds <= n_seeds:
        raise ValueError(f"folds: {n_folds!r} must be in 2..{n_seeds} (the train seeds)")
    seed_of = ds.train.trace_id % n_seeds % n_folds
    folds = []
    for s in range(n_folds):
        val, fit = np.flatnonzero(seed_of == s), np.flatnonzero(seed_of != s)
        folds.append(Dataset(ds.train.subset(fit), ds.train.subset(val), ds.train_table.subset(fit),
                             ds.train_table.subset(val)))
    return folds


def _pool_size(ds, cfg: TrainConfig) -> int:
    from .surrogate import answer_groups, pool_states

    pool = pool_states(ds, cfg)
    return len(answer_groups(ds.train, pool)) if cfg.surrogate.reuse else len(pool)


def fold_config(cfg: TrainConfig, fold: Dataset, full: Dataset, seed: int) -> TrainConfig:
    """cfg for one fold and seed: budget and initial design scaled to the fold's pool, model-free
    off, the top-level and surrogate seeds both ``seed``."""
    share = _pool_size(fold, cfg) / max(_pool_size(full, cfg), 1)
    s = cfg.surrogate
    budget = max(2, round(s.budget * share))
    init = min(max(2, round(s.init * share)), budget)
    return with_overrides(cfg, {"seed": seed, "surrogate": {"budget": budget, "init": init, "seed": seed},
                                "model_free": {"enabled": False}})

def selection_cost(folds: list[Dataset]) -> dict:
    """What validating on ``folds`` reads of the real table, as the one ledger rule charges it
    (mbrl.ledger, purpose ``setting_selection``): every distinct (window, lost set, k) of the
    validation states (each fold's references and scoring read every k of its table), once; the
    folds' fits ask a subset of them (their fit states are other folds' validation states).
    ``paid`` real evaluations and ``estimated_s`` (the tables' measured single-call cost)."""
    from .evaluator import TableEvaluator
    from .ledger import Ledger

    led = Ledger("selection")  # one for the whole selection: a question two folds ask is paid once
    for fold in folds:
        te = TableEvaluator(fold.test_table, fold.test, ledger=led)
        with te.paying_for("setting_selection"):
            for s in np.flatnonzero(fold.test.loss_frac > 0):
                for k in range(fold.n_layers + 1):
                    te.ppl(int(s), k)
    t = led.totals()["selection"]
    return {"paid": t["paid"], "estimated_s": t["estimated_s"]}


def cross_validate(cfg: TrainConfig, ds: Dataset, candidates: dict[str, dict], seeds: Sequence[int],
                   progress: bool = False, n_folds: int | None = None, planned: bool = False) -> dict[str, dict]:
    """Validation score of each candidate: {name: {"fracs": [...], "mean": m, "std": s, "causal_ref": c}}.

    ``candidates`` maps a name to overrides of cfg's sections, e.g.
    ``{"spread": {"surrogate": {"acquisition": "spread"}}}``; fracs run over folds (see
    :func:`seed_folds`) x seeds. ``planned``: score the one-threshold rule fitted on the fold's
    surrogate table (:func:`planned_run`) instead of training PPO on it, a cheaper score of the
    surrogate alone. ``causal_ref`` is the mean validation fraction of the causal threshold rule
    fitted on each fold's full real table (mbrl.baselines.causal_stump): what a learner could
    reach there."""
    from .train import train

    folds = seed_folds(ds, len(cfg.traces.train_seeds), n_folds)
    out = {}
    for name, overrides in candidates.items():
        base = with_overrides(cfg, overrides)
        fracs, refs = [], []
        for i, fold in enumerate(folds):
            for seed in seeds:
                run = fold_config(base, fold, ds, seed)
                if planned:
                    frac, ref = planned_run(run, fold)
                else:
                    m = train(run, ds=fold)
                    frac = float(m["comparison"]["mbrl_ppo"]["frac_oracle"])
                    ref = float(m["comparison"]["causal_stump"]["frac_oracle"])
                fracs.append(frac)
                refs.append(ref)
                if progress:
                    print(f"  {name}: fold {i} seed {seed}: validation frac {frac:.3f}", flush=True)
        out[name] = {"fracs": fracs, "mean": float(np.mean(fracs)), "std": float(np.std(fracs)),
                     "causal_ref": float(np.mean(refs))}
    return out


def planned_run(cfg: TrainConfig, fold: Dataset) -> tuple[float, float]:
    """(share of the random-to-oracle gap on ``fold.test`` of the one-threshold rule fitted on the
    surrogate's table of ``fold.train``, the same for the rule fitted on the real table): the
    surrogate's quality as the policy it plans, without PPO."""
    from . import baselines as B
    from .evaluator import TableEvaluator
    from .learners import known_cells
    from .surrogate import fit_surrogate, predict_q
    from .train import gap_share

    L, r = fold.n_layers, cfg.reward
    ledger = TableEvaluator(fold.train_table, fold.train)
    sur, _, _ = fit_surrogate(fold, cfg, ledger)
    q = predict_q(sur, fold.train, L, cfg)
    for s, k, y in known_cells(ledger, fold.train, L, r):
        q[s, k] = y
    res = B.compare({"oracle": B.oracle(fold.test_table, fold.test, r), "random": B.random_policy(L, cfg.seed),
                     "planned": B.causal_stump(fold.train.feats, q, r)[0],
                     "real": B.causal_stump(fold.train.feats, B.heldout_q(fold.train_table, r), r)[0]},
                    fold.test, fold.test_table, r, cfg.env.start_k)
    low, high = res["random"]["mean_reward"], res["oracle"]["mean_reward"]
    return gap_share(res["planned"]["mean_reward"], low, high), gap_share(res["real"]["mean_reward"], low, high)
