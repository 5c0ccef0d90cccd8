"""The mbrl tests' synthetic decision states and a known real-evaluation table (no ns-3, no
LLM): fast tests. The session fixture `synth` (tests/mbrl/conftest.py) is a SyntheticDataset.

Feature 0 says whether the channel is bad (> 0) or good (< 0). On a good channel nothing is lost
and every k gives the clean perplexity; on a bad one the damage depends on k with a minimum at
k = 20. So the best policy splits at 0 on good channels and at 20 on bad ones, and no fixed k
or random choice comes close.
"""

import numpy as np

from mbrl.evaluator import EvalTable
from mbrl.features import N_FEATURES
from mbrl.traces import Decisions

L = 30  # SmolLM2-135M's layers


def synthetic(n_episodes: int = 8, per_episode: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = n_episodes * per_episode
    feats = rng.uniform(-1, 1, (n, N_FEATURES)).astype(np.float32)
    # Runs of good and bad channel inside each episode, as fading gives.
    bad = np.repeat(rng.random(n // 5) < 0.5, 5)[:n]
    feats[:, 0] = np.where(bad, rng.uniform(0.3, 1, n), rng.uniform(-1, -0.3, n))
    k = np.arange(L + 1)
    clean = np.full(n, 50.0)
    damage = np.where(bad[:, None], 1.0 + 8.0 * ((k[None, :] - 20) / L) ** 2, 0.0)
    ppl = clean[:, None] * np.exp(damage)
    dec = Decisions(feats, [frozenset({1}) if b else frozenset() for b in bad], bad.astype(float),
                    np.where(bad, 200.0, 50.0), np.zeros(n, int), np.repeat(np.arange(n_episodes), per_episode),
                    np.zeros(n, int), np.tile(np.arange(per_episode) * 0.2, n_episodes), [f"synthetic-{seed}"])
    table = EvalTable(ppl, clean, 0.1, {"synthetic": True}, np.linspace(0, 0.03, L + 1), np.linspace(0.003, 0, L + 1))
    return dec, table


class SyntheticDataset:
    def __init__(self, seed: int = 0):
        self.train, self.train_table = synthetic(seed=seed)
        self.test, self.test_table = synthetic(n_episodes=4, seed=seed + 100)

    @property
    def n_layers(self) -> int:
        return L


# A training config small enough for tests on the synthetic dataset (mbrl/test_train, test_validate).
TINY = {"seed": 3, "reward": {"a": 1.0, "b": 1.0}, "surrogate": {"budget": 120, "init": 60, "batch": 30, "epochs": 400, "lr": 0.01, "members": 3, "hidden": 32},
        "env": {"action_mode": "direct", "episode_len": 10, "start_k": 15},
        "ppo": {"timesteps": 6144, "n_steps": 256, "batch_size": 64, "eval_every": 3072, "learning_rate": 1e-3},
        "model_free": {"timesteps": 512}}
