"""The split environment on a live co-simulation: every step is one real split-inference request
of one UE through ns-3, not a replayed trace.

An episode is one run of a split scenario (cosim: a YAML file with the cell and the ``model`` /
``requests`` sections; its own arrival process is not used). ``reset`` starts the ns-3 program
with a seed drawn from the env's generator and lets the channel run for ``period_ms``; each
``step`` sets the split point, sends the next request of UE ``ue`` through the real stack (head
on the UE, activation packets through ns-3, edge queue and tail on what arrived, reply
downlink), waits for its RequestRecord, then lets ``period_ms`` pass before the next decision.

Spaces, observation and reward are those of :class:`mbrl.env.SplitEnv`: the observation is
:func:`mbrl.features.observation` of the UE's recent slots and packet fates plus k / L; the reward
is :class:`mbrl.reward.RewardConfig` of the request's real perplexity against clean, the split
point, its measured end-to-end latency and the move. An episode ends (truncated) after
``episode_len`` steps or when the scenario's simulated time runs out.

Each step costs a real tail pass and about ``period_ms`` plus the request's latency of
simulated time (a fraction of a second of wall time with SmolLM2 on two cores): this env is for
checking a policy against the live system and for small online experiments, not for PPO's
millions of steps; mbrl.vector_env runs many of them side by side.

A dead or stalled ns-3 (cosim.bridge.launcher.BridgeError) ends the episode truncated, with
``info["fault"]`` saying why and the last observation; the next ``reset`` starts a fresh one.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from .env import ACTION_MODES, MOVES, apply_action
from .features import N_FEATURES, observation
from .reward import RewardConfig, check_step_reward


class _SetK:
    """The session's policy: the k the env chose for this step."""

    k = 0

    def choose(self, ue, recent_slots, current_k, recent_packets=None) -> int:
        return self.k


class LiveSplitEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, scenario: str | Path, reward: RewardConfig = RewardConfig(), action_mode: str = "direct",
                 episode_len: int = 10, ue: int = 0, period_ms: float = 200.0, start_k: int = 0):
        from cosim.session.inference import SplitInference
        from cosim.radio.scenario import load_any
        from cosim.session.config import SECTIONS, parse_session

        if action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode: {action_mode!r} is not one of {', '.join(ACTION_MODES)}")
        if not isinstance(episode_len, int) or episode_len < 1:
            raise ValueError(f"episode_len: {episode_len!r} must be an integer >= 1")
        if period_ms <= 0:
            raise ValueError(f"period_ms: {period_ms!r} must be > 0")
        check_step_reward(reward)
        self.scenario = Path(scenario)
        sc = load_any(self.scenario, extra_sections=SECTIONS)
        if not 0 <= ue < sc.ue_count:
            raise ValueError(f"ue: {ue!r} is not a UE of {self.scenario} (0..{sc.ue_count - 1})")
        self.cfg = parse_session(sc.extra)
        self.infer = SplitInference(self.cfg, sc.transfer.payload_bytes)  # the model loads once
        self.L = self.infer.n_layers
        if not 0 <= start_k <= self.L:
            raise ValueError(f"start_k: {start_k!r} is not in 0..{self.L}")
        self.reward_cfg, self.mode, self.episode_len, self.ue = reward, action_mode, episode_len, ue
        self.period_s, self.start_k = period_ms / 1000, start_k
        deadline = self.cfg.requests.deadline_ms
        self._deadline_ms = deadline if deadline is not None else sc.transfer.loss_timeout_ms
        self._loss_timeout_ms = sc.transfer.loss_timeout_ms
        self.action_space = gym.spaces.Discrete(len(MOVES) if action_mode == "moves" else self.L + 1)
        self.observation_space = gym.spaces.Box(-5.0, 5.0, (N_FEATURES + 1,), np.float32)
        self._policy = _SetK()
        self._sim = self._clock = self._session = None
        self._spent = {"ns3_s": 0.0, "bridge_s": 0.0}  # wall time of the episodes closed so far
        self._t, self.k = 0, start_k

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        import simpy

        from cosim.bridge.netclock import NetworkClock
        from cosim.radio.scenario import load_any, start_simulation
        from cosim.session.runner import SplitSession
        from cosim.session.config import SECTIONS

        super().reset(seed=seed)
        self.close()
        run_seed = int(self.np_random.integers(1, 2**31 - 1))
        sc = load_any(self.scenario, overrides={"seed": run_seed}, extra_sections=SECTIONS)
        self._dir = tempfile.TemporaryDirectory(prefix="layersplit-live-")
        self._sim = start_simulation(sc, Path(self._dir.name))
        env = simpy.Environment()
        self._clock = NetworkClock(env, self._sim, sc.ue_count, sc.duration_s)
        self._session = SplitSession(env, self._clock, self.infer, self.cfg, self._policy, sc.ue_count, run_seed)
        self._t, self.k = 0, self.start_k
        self._wait(self.period_s)
        return self._obs(), {}

    def step(self, action):
        from cosim.bridge.launcher import BridgeError
        from cosim.errors import one_line

        if self._session is None:
            raise RuntimeError("step() before reset()")
        if not self.action_space.contains(action):
            raise ValueError(f"action: {action!r} is not in {self.action_space}")
        k_prev, self.k = self.k, apply_action(int(action), self.k, self.L, self.mode)
        self._policy.k = self.k
        try:
            return self._request(k_prev)
        except BridgeError as e:  # ns-3 died or stalled: this episode ends, the next reset starts another
            obs = self._obs()
            self.close()
            return obs, 0.0, False, True, {"k": self.k, "finished": False, "fault": one_line(e)}

    def _request(self, k_prev: int):
        done = self._clock.run_until(self._session.submit(self.ue))
        if not done:  # the scenario's time ran out before the request finished
            return self._obs(), 0.0, False, True, {"k": self.k, "finished": False}
        rec = self._session.records[-1]
        q = float(self.reward_cfg.q(rec.ppl, rec.ppl_clean))
        r = float(self.reward_cfg.reward(q, self.k, self.L, rec.latency_s, k_prev))
        self._t += 1
        alive = self._wait(self.period_s)
        info = {"k": self.k, "quality": q, "ppl": rec.ppl, "ppl_clean": rec.ppl_clean,
                "latency_s": rec.latency_s, "packets_lost": rec.packets_lost, "finished": True}
        return self._obs(), r, False, self._t >= self.episode_len or not alive, info

    @property
    def ns3_pid(self) -> int | None:
        """The process id of the episode's ns-3 program (None between episodes)."""
        return self._sim.pid if self._sim is not None else None

    def close(self) -> None:
        if self._sim is not None:
            self._spent = self.timing()
            self._sim.close()
            self._dir.cleanup()
        self._sim = self._clock = self._session = None

    def timing(self) -> dict:
        """Wall seconds spent so far, over every episode: inside ns-3 (``ns3_s``) and in the
        bridge around it (``bridge_s``); the rest of a step is the model, simpy and Python."""
        if self._sim is None:
            return dict(self._spent)
        ns3 = self._sim.busy_s
        return {"ns3_s": self._spent["ns3_s"] + ns3,
                "bridge_s": self._spent["bridge_s"] + self._clock.advance_wall_s - ns3}

    def _wait(self, seconds: float) -> bool:
        return self._clock.run_until(self._clock.env.timeout(seconds))

    def _obs(self) -> np.ndarray:
        c = self._clock
        feats = observation(c.recent_slots(self.ue), c.recent_packets(self.ue), c.now_ns,
                            self._deadline_ms, self._loss_timeout_ms)
        return np.clip(np.append(feats, self.k / self.L), -5, 5).astype(np.float32)
