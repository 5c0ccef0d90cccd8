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


def seed_folds(ds: Dataset, n_seeds: int) -> list[Dataset]:
    """One validation dataset per train seed: that seed's traces as ``test``, the rest as ``train``.

    The train traces are recorded variant-major with the seeds inner (mbrl.traces.record_traces),
    so trace t belongs to seed index t % n_seeds."""
    if n_seeds < 2:
        raise ValueError(f"traces.train_seeds: validation needs at least 2 train seeds, got {n_seeds}")
    seed_of = ds.train.trace_id % n_seeds
    folds = []
    for s in range(n_seeds):
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

def cross_validate(cfg: TrainConfig, ds: Dataset, candidates: dict[str, dict], seeds: Sequence[int],
                   progress: bool = False) -> dict[str, dict]:
    """Validation score of each candidate: {name: {"fracs": [...], "mean": m, "std": s, "causal_ref": c}}.

    ``candidates`` maps a name to overrides of cfg's sections, e.g.
    ``{"spread": {"surrogate": {"acquisition": "spread"}}}``; fracs run over folds x seeds.
    ``causal_ref`` is the mean validation fraction of the causal threshold rule fitted on each
    fold's full real table (mbrl.baselines.causal_stump): what a learner could reach there."""
    from .train import train

    folds = seed_folds(ds, len(cfg.traces.train_seeds))
    out = {}
    for name, overrides in candidates.items():
        base = with_overrides(cfg, overrides)
        fracs, refs = [], []
        for i, fold in enumerate(folds):
            for seed in seeds:
                m = train(fold_config(base, fold, ds, seed), ds=fold)
                fracs.append(float(m["comparison"]["mbrl_ppo"]["frac_oracle"]))
                refs.append(float(m["comparison"]["causal_stump"]["frac_oracle"]))
                if progress:
                    print(f"  {name}: fold {i} seed {seed}: {m['surrogate']['real_evals']} real evals, "
                          f"validation frac {fracs[-1]:.3f}", flush=True)
        out[name] = {"fracs": fracs, "mean": float(np.mean(fracs)), "std": float(np.std(fracs)),
                     "causal_ref": float(np.mean(refs))}
    return out

