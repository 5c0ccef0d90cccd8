"""The trained agent as a session policy: ``choose(ue, recent_slots, current_k, recent_packets) -> k``.

It observes exactly what training replayed (:func:`mbrl.features.observation`): the UE's slot
records and the fates of its recent uplink packets, with the training deadline.

Saved as ``agent.zip`` (the stable-baselines3 PPO model) with ``agent.json`` beside it
(n_layers, action_mode, start_k, deadline_ms, feature names). ``split: {policy: agent,
agent: PATH}`` in a session YAML loads it through :func:`load_policy`; PATH is the zip or the
training run folder.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .env import apply_action
from .features import FEATURES, observation


def save_agent(model, path: Path, n_layers: int, action_mode: str, start_k: int, deadline_ms: float) -> None:
    path = Path(path)
    model.save(path)
    meta = {"n_layers": int(n_layers), "action_mode": action_mode, "start_k": int(start_k),
            "deadline_ms": float(deadline_ms), "features": list(FEATURES)}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1))


# The columns packet_features reads (a subset of cosim's EVENT_DTYPE), for "no packets yet".
EVENT_FIELDS = [("t_send_ns", "<i8"), ("t_recv_ns", "<i8"), ("tag", "<u8"), ("n_packets", "<u4"), ("direction", "u1")]
_SLOT_NS = 1_000_000


def _now_ns(recent_slots, recent_packets) -> int:
    """The decision time as the session's history shows it: its slots end one slot before now."""
    t = [int(recent_slots["t_ns"][-1]) + _SLOT_NS] if len(recent_slots) else []
    if len(recent_packets):
        t.append(int(max(recent_packets["t_send_ns"].max(), recent_packets["t_recv_ns"].max())) + 1)
    return max(t, default=0)


class AgentPolicy:
    """A PPO split agent acting on a UE's recent slot records and packet fates (one decision per request).

    Args:
        model: a stable-baselines3 model trained on :class:`mbrl.env.SplitEnv`.
        n_layers: L of the session's model (must match the agent's).
        action_mode: ``moves`` or ``direct``.
        start_k: split used as the current one before a UE's first request.
        deadline_ms: the deadline the agent's packet features were computed with in training.
    """

    def __init__(self, model, n_layers: int, action_mode: str, start_k: int, deadline_ms: float):
        self.model, self.L, self.mode, self.start_k = model, n_layers, action_mode, start_k
        self.deadline_ms = deadline_ms

    def choose(self, ue: int, recent_slots: np.ndarray, current_k: int | None, recent_packets=None) -> int:
        k = self.start_k if current_k is None else int(current_k)
        obs = np.append(self.features(recent_slots, recent_packets), np.float32(k / self.L)).astype(np.float32)
        action, _ = self.model.predict(obs, deterministic=True)
        return apply_action(int(action), k, self.L, self.mode)

    def features(self, recent_slots, recent_packets=None) -> np.ndarray:
        return live_features(recent_slots, recent_packets, self.deadline_ms)


def live_features(recent_slots, recent_packets, deadline_ms: float) -> np.ndarray:
    """What training saw for a decision now (mbrl.features.observation): a session's packet
    history holds only decided fates, so no loss timeout applies."""
    packets = np.empty(0, EVENT_FIELDS) if recent_packets is None else recent_packets
    return observation(recent_slots, packets, _now_ns(recent_slots, packets), deadline_ms)


def load_policy(path, n_layers: int) -> AgentPolicy:
    """Loads an agent saved by ``layersplit train`` (the zip or its run folder)."""
    from stable_baselines3 import PPO

    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "agent.zip"
    meta_path = p.with_suffix(".json")
    if not p.is_file() or not meta_path.is_file():
        raise ValueError(f"split.agent: {path!r} has no agent.zip and agent.json; train one with `layersplit train`")
    meta = json.loads(meta_path.read_text())
    if meta["n_layers"] != n_layers:
        raise ValueError(f"split.agent: {path!r} was trained for {meta['n_layers']} layers, the session's model "
                         f"has {n_layers}; retrain with the same model")
    if meta.get("features") != list(FEATURES):
        raise ValueError(f"split.agent: {path!r} observes {meta.get('features')}, this version observes "
                         f"{list(FEATURES)}; retrain with `layersplit train`")
    return AgentPolicy(PPO.load(p, device="cpu"), n_layers, meta["action_mode"], meta["start_k"], meta["deadline_ms"])
