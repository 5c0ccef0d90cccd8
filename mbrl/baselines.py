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
| causal_stump    | one threshold on one observed feature, one k each side, fitted on    |
|                 | the train states' real table (a causal reference, not a learner)     |
| sinr_table      | the same rule on the mean uplink SINR alone, as cosim's sinr_table   |
|                 | policy's rows (for live sessions: benchmarks/agent_live.py)          |
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .env import apply_action
from .reward import RewardConfig


def heldout_q(table, reward: RewardConfig) -> np.ndarray:
    """Real quality term Q of every (state, k) of a table, (states, L + 1)."""
    return reward.q(table.ppl, table.clean[:, None])


def run_policy(act: Callable, dec, table, reward: RewardConfig, start_k: int, keep_rewards: bool = False) -> dict:
    """Replays ``act`` over every held-out episode; returns mean reward, PPL, UE share, latency
    (and with ``keep_rewards`` every decision's reward, ``rewards``, in decision order)."""
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
    out = {"mean_reward": float(np.mean(rewards)), "reward_ci95": ci95(rewards), "mean_ppl": float(np.mean(ppl_arr)),
           "median_ppl": float(np.median(ppl_arr)), "ue_share": float(np.mean(ks) / L),
           "mean_k": float(np.mean(ks)), "latency_ms": float(np.mean(lat) * 1000), "decisions": len(ks)}
    if keep_rewards:
        out["rewards"] = np.array(rewards)
    return out


def ci95(values) -> float:
    """Half-width of the 95 % confidence interval of the mean of ``values`` (normal
    approximation over decisions, which are many; their correlation along an episode makes it a
    little optimistic)."""
    v = np.asarray(values, float)
    return float(1.96 * v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")


def replay_reward(act: Callable, dec, q: np.ndarray, ue_s, edge_s, reward: RewardConfig, start_k: int) -> float:
    """Mean reward of ``act`` replayed over every episode of ``dec`` as run_policy does, with
    the quality of (state, k) read from ``q`` (states, L + 1): a surrogate's predictions or any
    other estimate, so that a learner can rank its own checkpoints without the referee's table."""
    L = q.shape[1] - 1
    total, n = 0.0, 0
    for ep in dec.episodes():
        k = start_k
        for s in ep:
            k_new = int(act(int(s), dec.feats[s], k))
            latency = ue_s[k_new] + dec.delay_ms[s] / 1000 + edge_s[k_new]
            total += float(reward.reward(q[s, k_new], k_new, L, latency, k))
            n += 1
            k = k_new
    return total / max(n, 1)


def causal_stump(feats: np.ndarray, q: np.ndarray, reward: RewardConfig, names=None,
                 min_side: float = 0.05) -> tuple[Callable, dict]:
    """Best one-split causal policy on a state set: ``k_hi`` where feature f > t, else ``k_lo``
    (f, t, k_lo, k_hi all chosen, exactly, to maximise the mean reward under ``q`` on these
    states; each side holds at least ``min_side`` of them).

    Fitted on the train states' real table it says how far the observation alone can take a
    policy without held-out information: a feature, a threshold and two splits cannot memorise
    540 states, so its in-sample score stays close to what it keeps out of sample (default
    traces: k = 9 when the UE's buffer feature > 0.71, else 0; train 0.729 of the gap, held-out
    0.774). Latency and
    switching are ignored (off by default)."""
    L = q.shape[1] - 1
    R = reward.reward(q, np.arange(L + 1), L)
    n = len(R)
    best = (float(R.mean(0).max()), 0, np.inf, int(R.mean(0).argmax()), int(R.mean(0).argmax()))
    for f in range(feats.shape[1]):
        order = np.argsort(feats[:, f], kind="stable")
        x = feats[order, f]
        below = np.cumsum(R[order], 0)[:-1]  # sums over the first i + 1 states in feature order
        above = R.sum(0) - below
        # every split between distinct values at once: the best k each side is a per-side argmax
        # of sums, and the total is the sum of the two maxima
        total = below.max(1) + above.max(1)
        total[x[1:] == x[:-1]] = -np.inf
        side = np.arange(1, n)
        total[(side < min_side * n) | (n - side < min_side * n)] = -np.inf  # no rule for a handful of states
        i = int(total.argmax())
        if np.isfinite(total[i]) and total[i] / n > best[0] + 1e-12:
            best = (float(total[i] / n), f, float((x[i] + x[i + 1]) / 2), int(below[i].argmax()), int(above[i].argmax()))
    v, f, t, k_lo, k_hi = best
    info = {"feature": names[f] if names is not None else f, "threshold": t, "k_low": k_lo, "k_high": k_hi,
            "fit_mean_reward": v}
    return (lambda s, x, k: k_hi if x[f] > t else k_lo), info


def sinr_table(feats: np.ndarray, q: np.ndarray, reward: RewardConfig) -> tuple[list, int]:
    """cosim's SINR-table policy fitted on a state set: :func:`causal_stump` on the mean uplink
    SINR feature alone (mbrl.features ``sinr_mean``, dB / 20). Returns ``split.table`` rows
    (best first; the last at -200 dB, the lowest a session accepts, catches every SINR) and the
    split for a UE not yet sounded (the low-SINR side's, as the features read a missing estimate
    as the worst)."""
    _, info = causal_stump(feats[:, :1], q, reward)
    if not np.isfinite(info["threshold"]):  # no threshold beats one k everywhere
        return [[-200.0, info["k_low"]]], info["k_low"]
    return [[round(20.0 * info["threshold"], 2), info["k_high"]], [-200.0, info["k_low"]]], info["k_low"]


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
