"""The paper's environment: the channel's loss probability p and the current split are the state,
the action moves the split, the reward is the paper's.

Spaces
------
| space       | type                      | meaning                                                  |
|-------------|---------------------------|----------------------------------------------------------|
| action      | Discrete(len(env.moves))  | i -> the split moves ``moves[i]`` positions along env.ks |
|             |                           | (the paper: keep, or 1..4 either way), clipped at the ends |
| observation | Box(0, 1, (P + K,))       | ``env.obs: onehot`` (default): which of the P grid values |
|             |                           | p is, and which of the K split points k is             |
|             | Box(0, 1, (2,), float32)  | ``env.obs: scalar``: p / max(channel.ps) and k / L       |

Both carry the paper's state (p, k). With the scalar form every learner (PPO, A2C, DQN, and PPO
on the exact true reward) settled on "always move to k = 0" (0.51-0.58 of the random-to-optimum
gap on the default config, first run): a policy that must stop at an interior split (k = 10
for p >= 0.1) is a kink in k that two 64-unit layers did not find in 20,000 steps; one-hot
makes it a table.

Reward of a step: ``reward.reward(Q, k_new, L, 0, k_prev)`` (mbrl.reward; the paper's
10.5 * (PPL_clean - PPL) / PPL_clean + (L - k) / L by default) at the new split, p being the
one observed. Q comes from a scorer: :class:`BankScorer` (a real evaluation: a random bank entry
of the cell, each damaged draw charged at its entry's charge and measured seconds) or
:class:`TableScorer` (the surrogate's predictions, free).

Start: p uniform on the grid, the split uniform on env.ks. After each step p stays
(``channel.process: episode``) or moves to a neighbouring grid value with probability
``walk_prob`` (``walk``). End: truncated after ``episode_len`` steps, never terminated.

References on held-out episodes (:func:`heldout_episodes`: fixed p sequences and starting splits
from ``learners.heldout_seed``), scored with the bank's mean reward per cell (the true
expectation, up to the bank's mask count): the optimum (dynamic programming over (step, p, k):
the best any policy can do, even one that knew the step), the best single target split (always
move towards it) and the uniform random policy.
"""
from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import numpy as np


class BankScorer:
    """Q from a random entry of the training bank's cell: a real evaluation that the bank stands
    in for, paid in the learner's ledger when p > 0 (a draw: at that entry's charge, 2 for an
    entry stratified on its decisive elements, and its measured seconds, an estimate of a live
    draw's). It keeps the mean Q received per cell: the learner's own data (:meth:`own_reward`)."""

    def __init__(self, bank, reward, seed: int, ledger, name: str = "train", purpose: str = "training_step"):
        self.q_all, self.secs, self.damaged, self.evals = bank.q(reward), bank.secs, bank.damaged(), bank.evals
        self.reward, self.ks, self.L = reward, np.asarray(bank.ks), bank.L
        self.ledger, self.name, self.purpose, self.source = ledger, name, purpose, bank.source
        self.ids = bank.entry_ids()
        ledger.add_bank(name, self.ids.values())
        self.rng = np.random.default_rng(seed)
        self.sum, self.n = np.zeros(self.q_all.shape[:2]), np.zeros(self.q_all.shape[:2], int)
        self.steps = 0

    def quality(self, pi: int, ki: int) -> float:
        m = int(self.rng.integers(self.q_all.shape[2]))
        self.steps += 1
        if self.damaged[pi]:
            self.ledger.draw(self.purpose, float(self.secs[pi, ki, m]), charge=int(self.evals[pi, ki, m]),
                             bank=self.name, bank_entry=self.ids[pi, ki, m], source=self.source)
        q = float(self.q_all[pi, ki, m])
        self.sum[pi, ki] += q
        self.n[pi, ki] += 1
        return q

    def own_reward(self) -> np.ndarray:
        """The learner's estimate of the reward table (P, K) from the draws it received: the mean
        Q per cell; a cell never tried counts as the worst mean seen (p = 0 cells are exact)."""
        q = np.where(self.n > 0, self.sum / np.maximum(self.n, 1), np.nan)
        q[~self.damaged] = 0.0
        q = np.where(np.isnan(q), np.nanmin(q), q)
        return self.reward.reward(q, self.ks[None, :], self.L)


class TableScorer:
    """Q from a (P, K) table (the surrogate's predictions): free."""

    def __init__(self, q: np.ndarray):
        self.q, self.steps = np.asarray(q, float), 0

    def quality(self, pi: int, ki: int) -> float:
        self.steps += 1
        return float(self.q[pi, ki])


def p_step(pi: np.ndarray | int, n_p: int, walk_prob: float, rng) -> np.ndarray:
    """Next p index of a ``walk``: a neighbour (either side, clipped) with probability walk_prob."""
    pi = np.asarray(pi)
    move = rng.random(pi.shape) < walk_prob
    side = np.where(rng.random(pi.shape) < 0.5, -1, 1)
    return np.clip(pi + move * side, 0, n_p - 1)


class PaperEnv(gym.Env):
    __doc__ = __doc__
    metadata = {"render_modes": []}

    def __init__(self, cfg, ks: list, L: int, scorer):
        self.cfg, self.ks, self.L, self.scorer = cfg, list(ks), int(L), scorer
        self.ps, self.moves = list(cfg.channel.ps), np.asarray(cfg.env.moves)
        self.action_space = gym.spaces.Discrete(len(self.moves))
        n = len(self.ps) + len(self.ks) if cfg.env.obs == "onehot" else 2
        self.observation_space = gym.spaces.Box(0.0, 1.0, (n,), np.float32)
        self.pi = self.ki = self.t = 0
        self.rewards: list[float] = []  # every step's reward as the learner received it (training data)

    def _obs(self) -> np.ndarray:
        return observe(self.cfg, self.ks, self.L, np.array([self.pi]), np.array([self.ki]))[0]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.pi = int(self.np_random.integers(len(self.ps)))
        self.ki = int(self.np_random.integers(len(self.ks)))
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action: {action!r} is not in {self.action_space}")
        k_prev = self.ks[self.ki]
        self.ki = int(np.clip(self.ki + self.moves[int(action)], 0, len(self.ks) - 1))
        q = self.scorer.quality(self.pi, self.ki)
        r = float(self.cfg.reward.reward(q, self.ks[self.ki], self.L, 0.0, k_prev))
        self.rewards.append(r)
        info = {"p": self.ps[self.pi], "k": self.ks[self.ki], "quality": q}
        if self.cfg.channel.process == "walk":
            self.pi = int(p_step(self.pi, len(self.ps), self.cfg.channel.walk_prob, self.np_random))
        self.t += 1
        return self._obs(), r, False, self.t >= self.cfg.env.episode_len, info


def observe(cfg, ks: list, L: int, pi: np.ndarray, ki: np.ndarray) -> np.ndarray:
    """Observations (n, dim) of p indices ``pi`` and split indices ``ki`` (the spaces table)."""
    ps = np.asarray(cfg.channel.ps, float)
    if cfg.env.obs == "scalar":
        return np.stack([ps[pi] / (ps.max() or 1.0), np.asarray(ks)[ki] / L], axis=1).astype(np.float32)
    out = np.zeros((len(pi), len(ps) + len(ks)), np.float32)
    out[np.arange(len(pi)), pi] = 1.0
    out[np.arange(len(pi)), len(ps) + ki] = 1.0
    return out


def heldout_episodes(cfg, n_ks: int, own: bool = False, stream: int = 1) -> dict:
    """Fixed episodes: p index per step (n, H) and starting split index (n,). The scoring
    episodes (``learners.heldout_episodes`` from ``heldout_seed``), or with ``own`` training
    episodes (``learners.own_episodes`` from the run's ``seed``, ``stream`` 1: a learner's own,
    for its checkpoint choice and the best fixed split; 2: setting selection's)."""
    rng = np.random.default_rng([cfg.seed, stream] if own else cfg.learners.heldout_seed)
    n = cfg.learners.own_episodes if own else cfg.learners.heldout_episodes
    H, P = cfg.env.episode_len, len(cfg.channel.ps)
    pis = np.empty((n, H), int)
    pis[:, 0] = rng.integers(P, size=n)
    for t in range(1, H):
        pis[:, t] = pis[:, t - 1] if cfg.channel.process == "episode" else \
            p_step(pis[:, t - 1], P, cfg.channel.walk_prob, rng)
    return {"pi": pis, "ki0": rng.integers(n_ks, size=n)}


def episode_rewards(act: Callable, episodes: dict, R: np.ndarray, cfg, ks: list, L: int) -> np.ndarray:
    """Mean reward per step of each episode (n,) under ``act(obs (n, dim), t, pi, ki) -> actions
    (n,)``, with the reward table ``R`` (P, K) and the switching term."""
    moves, ks_a = np.asarray(cfg.env.moves), np.asarray(ks)
    ki = episodes["ki0"].copy()
    pis = episodes["pi"]
    total = np.zeros(len(ki))
    for t in range(pis.shape[1]):
        pi = pis[:, t]
        obs = observe(cfg, ks, L, pi, ki)
        new = np.clip(ki + moves[np.asarray(act(obs, t, pi, ki))], 0, len(ks) - 1)
        total += R[pi, new] - cfg.reward.switch_weight * np.abs(ks_a[new] - ks_a[ki]) / L
        ki = new
    return total / pis.shape[1]


def score(act: Callable, episodes: dict, R: np.ndarray, cfg, ks: list, L: int) -> float:
    """Mean reward per step of ``act`` over ``episodes`` (episode_rewards' arguments)."""
    return float(episode_rewards(act, episodes, R, cfg, ks, L).mean())


def sb3_act(model) -> Callable:
    return lambda obs, t, pi, ki: model.predict(obs, deterministic=True)[0]


def _p_transition(cfg) -> np.ndarray:
    P, w = len(cfg.channel.ps), cfg.channel.walk_prob
    T = np.eye(P)
    if cfg.channel.process == "walk":
        T = (1 - w) * np.eye(P)
        for i in range(P):
            T[i, max(i - 1, 0)] += w / 2
            T[i, min(i + 1, P - 1)] += w / 2
    return T


def optimum_act(R: np.ndarray, cfg, ks: list, L: int) -> Callable:
    """The optimal time-dependent policy by dynamic programming over (step, p, k) on ``R``."""
    P, K, H = R.shape[0], R.shape[1], cfg.env.episode_len
    moves, ks_a, T = np.asarray(cfg.env.moves), np.asarray(ks), _p_transition(cfg)
    nxt = np.clip(np.arange(K)[:, None] + moves[None, :], 0, K - 1)  # (K, A)
    switch = cfg.reward.switch_weight * np.abs(ks_a[nxt] - ks_a[:, None]) / L
    V, best = np.zeros((P, K)), np.zeros((H, P, K), int)
    for t in reversed(range(H)):
        Q = R[:, nxt] - switch[None] + (T @ V)[:, nxt]  # (P, K, A)
        best[t], V = Q.argmax(axis=2), Q.max(axis=2)
    return lambda obs, t, pi, ki: best[t, pi, ki]


def target_act(target: int, cfg) -> Callable:
    """Always move towards split index ``target`` as fast as the moves allow."""
    moves = np.asarray(cfg.env.moves)

    def act(obs, t, pi, ki):
        return np.abs(ki[:, None] + moves[None, :] - target).argmin(axis=1)
    return act


def best_fixed_index(R: np.ndarray, episodes: dict, cfg, ks: list, L: int) -> int:
    """The split index whose target policy scores best with ``R`` on ``episodes``: with the
    training bank's R and training episodes, the best fixed split chosen on training data."""
    return int(np.argmax([score(target_act(j, cfg), episodes, R, cfg, ks, L) for j in range(len(ks))]))


def references(R: np.ndarray, episodes: dict, cfg, ks: list, L: int, fixed_j: int) -> dict:
    """On ``episodes`` with reward table ``R`` (the scoring data): the optimum, the fixed split
    ``fixed_j`` (chosen on training data: best_fixed_index) as ``best_fixed``, the best fixed split
    in hindsight, every fixed split, the random policy, and the adaptive gain per decision: the
    optimum's mean reward per step minus the best fixed split's, per episode, with its 95 %
    bootstrap interval (``measurable``: the interval excludes 0; mbrl.stats)."""
    from .stats import adaptive_gain_measurable

    opt = episode_rewards(optimum_act(R, cfg, ks, L), episodes, R, cfg, ks, L)
    fix = episode_rewards(target_act(fixed_j, cfg), episodes, R, cfg, ks, L)
    fixed = [score(target_act(j, cfg), episodes, R, cfg, ks, L) for j in range(len(ks))]
    rng = np.random.default_rng(cfg.learners.heldout_seed + 1)
    n_a = len(cfg.env.moves)
    rand = np.mean([score(lambda obs, t, pi, ki: rng.integers(n_a, size=len(ki)), episodes, R, cfg, ks, L)
                    for _ in range(20)])
    gain = adaptive_gain_measurable(opt, fix)
    j = int(np.argmax(fixed))
    return {"optimum": float(opt.mean()), "best_fixed": float(fix.mean()), "best_fixed_k": int(ks[fixed_j]),
            "hindsight_fixed": fixed[j], "hindsight_fixed_k": int(ks[j]), "random": float(rand),
            "fixed": {int(k): f for k, f in zip(ks, fixed)},
            "adaptive_gain": {"per_step": gain.point, "ci95": [gain.lo, gain.hi], "measurable": gain.measurable}}
