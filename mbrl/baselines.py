"""Policies compared on held-out traces, and the harness that scores them with real evaluations.

A policy here is ``act(state, feats, k) -> new k`` (state: index into the held-out decisions,
feats: its scaled features, k: the current split). Every method is replayed over the same
held-out episodes (one per UE per trace, all decisions in time order, k starting at
``start_k``) and scored from the held-out real-evaluation table; these scoring lookups are the
referee's, not the learner's, and are not counted as its real evaluations.

| method          | chooses k                                                            |
|-----------------|----------------------------------------------------------------------|
| fixed k         | always k                                                             |
| random          | uniform in 0..L                                                      |
| greedy_surrogate| argmax of the reward with the surrogate's predicted quality (given   |
|                 | the observation: averaged over the 20 train states nearest in it)    |
| oracle          | argmax of the reward with the real quality of every k (upper bound)  |
| mbrl / mf       | a PPO policy (trained on the surrogate / on real evaluations)        |
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .env import apply_action
from .reward import RewardConfig


def heldout_q(table, reward: RewardConfig) -> np.ndarray:
    """Real quality term Q of every (state, k) of a table, (states, L + 1)."""
    return reward.q(table.ppl, table.clean[:, None])


def run_policy(act: Callable, dec, table, reward: RewardConfig, start_k: int) -> dict:
    """Replays ``act`` over every held-out episode; returns mean reward, PPL, UE share, latency."""
    L = table.n_layers
    q = heldout_q(table, reward)
    rewards, ppl, ks, lat = [], [], [], []
    for ep in dec.episodes():
        k = start_k
        for s in ep:
            k_new = int(act(int(s), dec.feats[s], k))
            latency = table.ue_s[k_new] + dec.delay_ms[s] / 1000 + table.edge_s[k_new]
            rewards.append(float(reward.reward(q[s, k_new], k_new, L, latency, k)))
            ppl.append(float(table.ppl[s, k_new]))
            ks.append(k_new)
            lat.append(latency)
            k = k_new
    ppl_arr = np.array(ppl)
    return {"mean_reward": float(np.mean(rewards)), "mean_ppl": float(np.mean(ppl_arr)),
            "median_ppl": float(np.median(ppl_arr)), "ue_share": float(np.mean(ks) / L),
            "mean_k": float(np.mean(ks)), "latency_ms": float(np.mean(lat) * 1000), "decisions": len(ks)}


def _best(q_row: np.ndarray, table, dec, s: int, k_prev: int, reward: RewardConfig) -> int:
    L = table.n_layers
    k = np.arange(L + 1)
    latency = table.ue_s + dec.delay_ms[s] / 1000 + table.edge_s
    return int(np.argmax(reward.reward(q_row, k, L, latency, k_prev)))


def oracle(table, dec, reward: RewardConfig) -> Callable:
    """Per-step oracle: the best k of each state by real evaluation of every k."""
    q = heldout_q(table, reward)
    return lambda s, f, k: _best(q[s], table, dec, s, k, reward)


def greedy(q_pred: np.ndarray, table, dec, reward: RewardConfig) -> Callable:
    """Best k by predicted quality ``q_pred`` (states, L + 1); latency uses the known delays.

    Latency is known only after the transfer; a deployable greedy would use its expectation.
    With latency_weight = 0 (default) this makes no difference."""
    return lambda s, f, k: _best(q_pred[s], table, dec, s, k, reward)


def knn_expected_q(train_feats: np.ndarray, q_train: np.ndarray, feats: np.ndarray, n: int = 20) -> np.ndarray:
    """E[Q | observation] of each row of ``feats``: mean ``q_train`` of the ``n`` train states
    nearest in standardised observation space, (len(feats), L + 1)."""
    mu, sd = train_feats.mean(0), train_feats.std(0) + 1e-6
    a, b = (train_feats - mu) / sd, (feats - mu) / sd
    dist = (b * b).sum(1)[:, None] - 2 * b @ a.T + (a * a).sum(1)[None, :]
    nearest = np.argsort(dist, 1, kind="stable")[:, :min(n, len(a))]
    return q_train[nearest].mean(1)


def fixed(k_fixed: int) -> Callable:
    return lambda s, f, k: k_fixed


def random_policy(n_layers: int, seed: int = 0) -> Callable:
    rng = np.random.default_rng(seed)
    return lambda s, f, k: int(rng.integers(n_layers + 1))


def sb3_policy(model, n_layers: int, action_mode: str) -> Callable:
    """A stable-baselines3 model as a policy (deterministic actions)."""
    def act(s, f, k):
        obs = np.append(f, np.float32(k / n_layers)).astype(np.float32)
        action, _ = model.predict(obs, deterministic=True)
        return apply_action(int(action), k, n_layers, action_mode)
    return act


def compare(policies: dict[str, Callable], dec, table, reward: RewardConfig, start_k: int) -> dict[str, dict]:
    """run_policy for every named policy, plus ``frac_oracle`` when "oracle" is among them."""
    out = {name: run_policy(act, dec, table, reward, start_k) for name, act in policies.items()}
    if "oracle" in out:
        ref = out["oracle"]["mean_reward"]
        for row in out.values():
            row["frac_oracle"] = row["mean_reward"] / ref if ref > 0 else float("nan")
    return out
