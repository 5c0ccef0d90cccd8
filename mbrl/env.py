"""The split-point environment: replay recorded LTE decisions, pick k, get the paper's reward.

Channel dynamics come from ns-3 (recorded traces, :mod:`mbrl.traces`), never from the action:
an episode walks through one UE's consecutive decisions (one per activation probe, 200 ms apart
by default) of one trace; the action only moves the split.

Spaces
------
| space       | type                         | meaning                                              |
|-------------|------------------------------|------------------------------------------------------|
| action      | Discrete(9) (``moves``)      | i -> k += i - 4: keep (4) or move 1..4 layers down/up |
|             | Discrete(L + 1) (``direct``) | i -> k = i                                           |
| observation | Box(-5, 5, (15,), float32)   | 14 scaled features (mbrl.features table): 9 of the   |
|             |                              | UE's last 200 slots before the decision, 5 of its    |
|             |                              | packet fates known by then (loss, lateness, last     |
|             |                              | transfer), then the current split k / L in [0, 1]    |

Moves are clipped to 0..L (SmolLM2: L = 30; k = 0 sends the embeddings, k = L runs every
decoder layer on the UE and sends the last hidden state).

Reward: :class:`mbrl.reward.RewardConfig` of the decision's state at the new k; the quality
term comes from a *scorer*: real evaluations (:class:`TableScorer`, each call counted) or a
surrogate (:class:`MatrixScorer`, precomputed predictions, free).

Start: a random episode (a UE of a trace) and a random offset in it so that ``episode_len``
decisions remain (or the whole episode when shorter); k starts at ``start_k`` (default: random
in 0..L). End: truncated after ``episode_len`` decisions or at the end of the UE's trace; never
terminated (there is no failure state).

State sampler (``damaged_share``, needs ``episode_len = 1``): each episode is one decision,
drawn from the damaged states (``loss_frac > 0``, known from the traces, no evaluation) with
probability ``damaged_share`` and from the clean ones otherwise; its reward is multiplied by
the importance weight uniform(s) / sampler(s), so the expected reward per step is still the
plain mean over all states and the optimal policy is unchanged. Only the variance changes: a
clean state's reward is known exactly (Q = 0 at every k), the damaged states carry all the
uncertainty, and with a third of the states damaged PPO otherwise spends most of its samples
where there is nothing to learn.

Args:
    decisions: states (:class:`mbrl.traces.Decisions`).
    scorer: object with ``quality(state, k) -> Q``.
    n_layers: L.
    reward: reward weights.
    action_mode: ``"moves"`` or ``"direct"``.
    episode_len: decisions per episode (>= 1).
    start_k: initial k, or None for uniform random.
    ue_s, edge_s: compute time (s) at each k for the latency term; default zeros.
    damaged_share: None (episodes as above) or the sampler's share of damaged states in (0, 1).
"""
from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from .features import N_FEATURES
from .reward import RewardConfig

ACTION_MODES = ("moves", "direct")
MOVES = np.arange(-4, 5)  # the paper's move set: keep, or 1..4 layers either way


class TableScorer:
    """Quality from real evaluations (a TableEvaluator or a live one): each call counts."""

    def __init__(self, evaluator, reward: RewardConfig):
        self.evaluator, self.reward = evaluator, reward

    def quality(self, state: int, k: int) -> float:
        return float(self.reward.q(self.evaluator.ppl(state, k), self.evaluator.clean(state)))


class MatrixScorer:
    """Quality from a precomputed (states, L + 1) matrix, e.g. a surrogate's predictions."""

    def __init__(self, q: np.ndarray):
        self.q = np.asarray(q, float)

    def quality(self, state: int, k: int) -> float:
        return float(self.q[state, k])


def apply_action(action: int, k: int, n_layers: int, mode: str) -> int:
    """New split from an action (see the spaces table)."""
    if mode == "direct":
        return int(action)
    return int(np.clip(k + MOVES[int(action)], 0, n_layers))


class SplitEnv(gym.Env):
    __doc__ = __doc__
    metadata = {"render_modes": []}

    def __init__(self, decisions, scorer, n_layers: int, reward: RewardConfig = RewardConfig(),
                 action_mode: str = "moves", episode_len: int = 20, start_k: int | None = None,
                 ue_s: np.ndarray | None = None, edge_s: np.ndarray | None = None,
                 damaged_share: float | None = None):
        if action_mode not in ACTION_MODES:
            raise ValueError(f"env.action_mode: {action_mode!r} is not one of {', '.join(ACTION_MODES)}")
        if not isinstance(episode_len, int) or episode_len < 1:
            raise ValueError(f"env.episode_len: {episode_len!r} must be an integer >= 1")
        if start_k is not None and not 0 <= start_k <= n_layers:
            raise ValueError(f"env.start_k: {start_k!r} is not in 0..{n_layers} (or null for random)")
        if len(decisions) == 0:
            raise ValueError("decisions: no states to replay; record longer traces")
        self._p = self._w = None
        if damaged_share is not None:
            if not 0 < damaged_share < 1:
                raise ValueError(f"env.damaged_share: {damaged_share!r} must be in (0, 1) or null")
            if episode_len != 1:
                raise ValueError(f"env.damaged_share: needs env.episode_len 1 (one decision per episode), "
                                 f"got {episode_len}")
            dmg = np.asarray(decisions.loss_frac) > 0
            if dmg.all() or not dmg.any():
                raise ValueError("env.damaged_share: needs both damaged and clean states")
            self._p = np.where(dmg, damaged_share / dmg.sum(), (1 - damaged_share) / (~dmg).sum())
            self._p /= self._p.sum()
            self._w = 1.0 / (len(dmg) * self._p)  # uniform / sampler
        self.dec, self.scorer, self.L = decisions, scorer, int(n_layers)
        self.reward_cfg, self.mode, self.episode_len, self.start_k = reward, action_mode, episode_len, start_k
        self.ue_s = np.zeros(self.L + 1) if ue_s is None else np.asarray(ue_s, float)
        self.edge_s = np.zeros(self.L + 1) if edge_s is None else np.asarray(edge_s, float)
        self._episodes = decisions.episodes()
        self.action_space = gym.spaces.Discrete(len(MOVES) if action_mode == "moves" else self.L + 1)
        self.observation_space = gym.spaces.Box(-5.0, 5.0, (N_FEATURES + 1,), np.float32)
        self._steps: np.ndarray = np.empty(0, int)
        self._t = 0
        self.k = 0

    def latency_s(self, state: int, k: int) -> float:
        return float(self.ue_s[k] + self.dec.delay_ms[state] / 1000 + self.edge_s[k])

    def _obs(self) -> np.ndarray:
        state = self._steps[min(self._t, len(self._steps) - 1)]
        return np.append(self.dec.feats[state], np.float32(self.k / self.L)).astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if self._p is not None:
            self._steps, self._t = np.array([self.np_random.choice(len(self._p), p=self._p)]), 0
        else:
            ep = self._episodes[int(self.np_random.integers(len(self._episodes)))]
            start = int(self.np_random.integers(max(1, len(ep) - self.episode_len + 1)))
            self._steps, self._t = ep[start:start + self.episode_len], 0
        self.k = int(self.np_random.integers(self.L + 1)) if self.start_k is None else int(self.start_k)
        return self._obs(), {"state": int(self._steps[0])}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action: {action!r} is not in {self.action_space}")
        state = int(self._steps[self._t])
        k_prev, self.k = self.k, apply_action(int(action), self.k, self.L, self.mode)
        q = self.scorer.quality(state, self.k)
        r = float(self.reward_cfg.reward(q, self.k, self.L, self.latency_s(state, self.k), k_prev))
        if self._w is not None:
            r *= float(self._w[state])
        self._t += 1
        truncated = self._t >= len(self._steps)
        return self._obs(), r, False, truncated, {"state": state, "k": self.k, "quality": q}
