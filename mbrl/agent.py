"""The trained agent as a session policy: ``choose(ue, recent_slots, current_k) -> k``.

Saved as ``agent.zip`` (the stable-baselines3 PPO model) with ``agent.json`` beside it
(n_layers, action_mode, start_k, feature names). ``split: {policy: agent, agent: PATH}`` in a
session YAML loads it through :func:`load_policy`; PATH is the zip or the training run folder.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .env import apply_action
from .features import FEATURES, slot_features


def save_agent(model, path: Path, n_layers: int, action_mode: str, start_k: int) -> None:
    path = Path(path)
    model.save(path)
    meta = {"n_layers": int(n_layers), "action_mode": action_mode, "start_k": int(start_k),
            "features": list(FEATURES)}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1))


class AgentPolicy:
    """A PPO split agent acting on a UE's recent slot records (one decision per request).

    Args:
        model: a stable-baselines3 model trained on :class:`mbrl.env.SplitEnv`.
        n_layers: L of the session's model (must match the agent's).
        action_mode: ``moves`` or ``direct``.
        start_k: split used as the current one before a UE's first request.
    """

    def __init__(self, model, n_layers: int, action_mode: str, start_k: int):
        self.model, self.L, self.mode, self.start_k = model, n_layers, action_mode, start_k

    def choose(self, ue: int, recent_slots: np.ndarray, current_k: int | None, recent_packets=None) -> int:
        k = self.start_k if current_k is None else int(current_k)
        obs = np.append(slot_features(recent_slots), np.float32(k / self.L)).astype(np.float32)
        action, _ = self.model.predict(obs, deterministic=True)
        return apply_action(int(action), k, self.L, self.mode)


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
    return AgentPolicy(PPO.load(p, device="cpu"), n_layers, meta["action_mode"], meta["start_k"])
