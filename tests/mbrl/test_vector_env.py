"""Live co-simulations behind one learner: a Gymnasium vector of LiveSplitEnvs, each with its own
ns-3, reproducible from one seed, and living through a killed ns-3."""
from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import yaml

from mbrl.vector_env import live_vector_env


def _scenario(tmp_path, name: str, x_m: float):
    cfg = {"name": name, "duration_s": 3.0, "seed": 1, "radio": {"bandwidth_rbs": 50, "rlc_mode": "UM"},
           "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
           "ue_groups": [{"count": 1, "placement": {"kind": "list", "positions": [[x_m, 0]]}}],
           "requests": {"prompt_tokens": 32, "windows": 2, "deadline_ms": 100}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1][0] != "Z"


@pytest.mark.slow
def test_a_vector_of_live_envs_is_reproducible_and_lives_through_a_killed_ns3(tmp_path):
    from gymnasium.vector import AutoresetMode

    scenarios = [_scenario(tmp_path, "near", 60), _scenario(tmp_path, "far", 400)]  # one each
    actions = [np.array([0, 30]), np.array([10, 10]), np.array([30, 0]), np.array([5, 5])]

    def rollout():
        vec = live_vector_env(scenarios, 2, episode_len=2, period_ms=100)
        try:
            assert vec.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
            obs, _ = vec.reset(seed=7)
            seen = [obs]
            rewards = []
            for a in actions:
                obs, r, term, trunc, info = vec.step(a)
                seen.append(obs)
                rewards.append(r)
            return np.array(seen), np.array(rewards), vec.call("ns3_pid")
        finally:
            vec.close()

    obs_a, rew_a, pids_a = rollout()
    obs_b, rew_b, _ = rollout()
    assert obs_a.shape == (5, 2, 15)
    np.testing.assert_array_equal(obs_a, obs_b)  # same seed, same observations and rewards
    np.testing.assert_array_equal(rew_a, rew_b)
    assert (rew_a[2] == 0).all()  # episodes of 2 steps: the third step is the autoreset's
    assert not np.array_equal(obs_a[1, 0], obs_a[1, 1])  # the near and the far UE see different channels
    time.sleep(0.5)
    assert not any(_alive(p) for p in pids_a if p)  # closing left no ns-3 behind

    vec = live_vector_env(scenarios, 2, episode_len=5, period_ms=100)
    try:
        vec.reset(seed=1)
        first = vec.call("ns3_pid")
        os.kill(first[0], signal.SIGKILL)  # sub-environment 0's ns-3 dies
        _, r, _, trunc, info = vec.step(np.array([0, 0]))
        assert trunc[0] and not trunc[1] and info["_fault"][0] and not info["_fault"][1]
        assert "died (killed by signal 9)" in info["fault"][0]
        vec.step(np.array([0, 0]))  # the autoreset: a fresh ns-3 for sub-environment 0
        again = vec.call("ns3_pid")
        assert again[0] != first[0] and again[1] == first[1]
        _, r, _, trunc, info = vec.step(np.array([0, 0]))
        assert not trunc.any() and "fault" not in info and np.isfinite(r).all()
    finally:
        vec.close()
