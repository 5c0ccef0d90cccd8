import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from mbrl.env import MatrixScorer, SplitEnv, TableScorer
from mbrl.evaluator import TableEvaluator
from mbrl.reward import RewardConfig

L = 30  # SmolLM2 layers, as in testkit/synthetic.py


def _env(synth, **kw):
    te = TableEvaluator(synth.train_table, synth.train)
    return SplitEnv(synth.train, TableScorer(te, RewardConfig()), L, **kw), te


@pytest.mark.parametrize("mode", ["moves", "direct"])
def test_env_checker_passes(synth, mode):
    env, _ = _env(synth, action_mode=mode)
    check_env(env, skip_render_check=True)
    assert env.action_space == gym.spaces.Discrete(9 if mode == "moves" else L + 1)


def test_same_seed_same_rollout(synth):
    def rollout(seed):
        env, te = _env(synth)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for a in [0, 8, 4, 3, 5, 1]:
            obs, r, term, trunc, info = env.step(a)
            out += [obs, np.array([r, info["k"]])]
        return np.concatenate(out), te.lookups

    a, calls = rollout(3)
    b, _ = rollout(3)
    assert np.array_equal(a, b)
    assert calls == 6  # one lookup per step, counted (charged by mbrl.evaluator's rule)


def test_moves_are_clipped_and_reward_has_paper_form(synth):
    q = np.zeros((len(synth.train), L + 1))
    env = SplitEnv(synth.train, MatrixScorer(q), L, start_k=2)
    env.reset(seed=0)
    _, r, *_ = env.step(0)  # -4 layers from k = 2 -> 0
    assert env.k == 0 and r == pytest.approx(1.0)  # a * 0 + b * (L - 0) / L
    _, r, *_ = env.step(8)
    assert env.k == 4 and r == pytest.approx((L - 4) / L)


@pytest.mark.parametrize("kw, match", [
    ({"action_mode": "jump"}, "env.action_mode: 'jump' is not one of moves, direct"),
    ({"episode_len": 0}, "env.episode_len"),
    ({"start_k": 31}, r"env.start_k: 31 is not in 0..30"),
])
def test_bad_arguments(synth, kw, match):
    with pytest.raises(ValueError, match=match):
        _env(synth, **kw)


def test_reward_config_checks():
    with pytest.raises(ValueError, match="reward.quality: 'exp' is not one of log, ratio"):
        RewardConfig(quality="exp")
    with pytest.raises(ValueError, match="reward.a"):
        RewardConfig(a=-1)


def test_damaged_sampler_keeps_the_mean_reward(synth):
    """Oversampling damaged states with importance weights: per-step reward still averages to
    the plain mean over all states (here a fixed k = 0 policy)."""
    r = RewardConfig()
    q = np.where(synth.train.loss_frac[:, None] > 0, -1.0, 0.0) * np.ones(L + 1)
    env = SplitEnv(synth.train, MatrixScorer(q), L, reward=r, action_mode="direct", episode_len=1,
                   damaged_share=0.9)
    env.reset(seed=0)
    rewards, damaged = [], []
    for _ in range(4000):
        _, rew, _, trunc, info = env.step(0)
        assert trunc
        rewards.append(rew)
        damaged.append(synth.train.loss_frac[info["state"]] > 0)
        env.reset()
    assert np.mean(damaged) == pytest.approx(0.9, abs=0.02)
    assert np.mean(rewards) == pytest.approx(float(r.reward(q[:, 0], 0, L).mean()), abs=0.03)
    with pytest.raises(ValueError, match="env.damaged_share: needs env.episode_len 1"):
        SplitEnv(synth.train, MatrixScorer(q), L, damaged_share=0.5, episode_len=2)
