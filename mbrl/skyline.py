"""The skyline: the best causal policy the full real table allows, scored on states it never saw.

The exact-fate oracle picks k knowing the very transfer's packet fates, which no causal policy
can see, so "95 % of the oracle" is out of reach for any learner. The skyline is the target
instead: the best policy over the *same observation* the agents get (the scaled features of
mbrl.features; latency and switching ignored, as they are off by default), fitted with the full
real table of the train states plus half of the held-out states, and scored on the other half.
The held-out episodes are split in two by parity (:func:`halves`); each half is scored by the
policy fitted on the train states and the other half, so every held-out state gets a skyline
choice (cross-fitting) and the skyline's mean reward is over the same states every method is
scored on.

"Best" is chosen, not assumed: candidate policy families (:func:`candidates`: every fixed k,
the one-threshold rule of mbrl.baselines.causal_stump, and the expected-quality argmax over the
n nearest fitted states in observation space for several n) are compared by a two-fold
cross-validation inside the fitting set (folds by episode), the winner is refitted on the whole
fitting set. A learner may beat the skyline by chance or by a richer rule: its share of the
random-to-skyline gap is then above 1, and reported as it is.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .baselines import causal_stump, heldout_q, knn_expected_q
from .reward import RewardConfig

KNN_SIZES = (5, 10, 20, 40, 80)


def halves(dec) -> tuple[np.ndarray, np.ndarray]:
    """State indices of the even and the odd episodes of ``dec``."""
    eps = dec.episodes()
    return (np.concatenate([e for i, e in enumerate(eps) if i % 2 == 0] or [np.empty(0, int)]),
            np.concatenate([e for i, e in enumerate(eps) if i % 2 == 1] or [np.empty(0, int)]))


def _knn_rule(feats: np.ndarray, q: np.ndarray, reward: RewardConfig, n: int) -> Callable:
    L = q.shape[1] - 1

    def choose(x: np.ndarray) -> np.ndarray:
        return np.argmax(reward.reward(knn_expected_q(feats, q, x, n), np.arange(L + 1), L), 1)
    return choose


def candidates(feats: np.ndarray, q: np.ndarray, reward: RewardConfig) -> dict[str, Callable]:
    """Each candidate fitted on (feats, q): name -> choose(feats (m, d)) -> k (m,)."""
    L = q.shape[1] - 1
    mean_r = reward.reward(q, np.arange(L + 1), L).mean(0)
    best_k = int(mean_r.argmax())
    out: dict[str, Callable] = {"best_fixed": lambda x: np.full(len(x), best_k)}
    act, info = causal_stump(feats, q, reward)
    out["stump"] = lambda x: np.where(x[:, info["feature"]] > info["threshold"], info["k_high"], info["k_low"])
    for n in KNN_SIZES:
        if n < len(feats):
            out[f"knn{n}"] = _knn_rule(feats, q, reward, n)
    return out


def _score(choose: Callable, feats: np.ndarray, q: np.ndarray, reward: RewardConfig) -> float:
    k = choose(feats)
    L = q.shape[1] - 1
    return float(reward.reward(q[np.arange(len(q)), k], k, L).mean())


def fit_best(feats: np.ndarray, q: np.ndarray, groups: np.ndarray, reward: RewardConfig) -> tuple[Callable, str]:
    """The candidate family with the best two-fold cross-validated mean reward (folds: parity of
    ``groups``, e.g. episodes), refitted on all of (feats, q); returns (choose, name)."""
    fold = np.unique(groups, return_inverse=True)[1] % 2
    scores: dict[str, float] = {}
    for f in (0, 1):
        fit, val = fold != f, fold == f
        if not fit.any() or not val.any():
            continue
        for name, choose in candidates(feats[fit], q[fit], reward).items():
            scores[name] = scores.get(name, 0.0) + _score(choose, feats[val], q[val], reward) * val.sum()
    name = max(scores, key=scores.get) if scores else "best_fixed"
    return candidates(feats, q, reward)[name], name


def skyline_choices(ds, reward: RewardConfig) -> tuple[np.ndarray, list[str]]:
    """The skyline's k for every held-out state (cross-fitted, module doc) and the family chosen
    for each half."""
    q_train, q_test = heldout_q(ds.train_table, reward), heldout_q(ds.test_table, reward)
    k = np.zeros(len(ds.test), int)
    chosen = []
    for fit_half, score_half in zip(halves(ds.test), reversed(halves(ds.test))):
        feats = np.concatenate([ds.train.feats, ds.test.feats[fit_half]])
        q = np.concatenate([q_train, q_test[fit_half]])
        groups = np.concatenate([ds.train.episode, ds.test.episode[fit_half] + ds.train.episode.max() + 1])
        choose, name = fit_best(feats, q, groups, reward)
        k[score_half] = choose(ds.test.feats[score_half])
        chosen.append(name)
    return k, chosen


def skyline_policy(ds, reward: RewardConfig) -> tuple[Callable, dict]:
    """The skyline as a held-out policy ``act(state, feats, k)`` and what it is made of."""
    k, chosen = skyline_choices(ds, reward)
    return (lambda s, f, k_prev: int(k[s])), {"families": chosen}
