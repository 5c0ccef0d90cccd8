"""Model-based RL split agent: Gymnasium environment over recorded LTE traces (or a live
co-simulation), real evaluator, reward surrogate with uncertainty, PPO on the surrogate, baselines.

Public API: :class:`SplitEnv`, :class:`LiveSplitEnv`, :class:`RealEvaluator`, :class:`Surrogate`,
:func:`active_learn`, :func:`train`, :func:`load_policy`, :func:`load_config`, :func:`slot_features`.
"""

from llm_split.lazy import lazy_exports

# Names load on first use (PEP 562): `layersplit --help` must not import torch and stable-baselines3.
_WHERE = {
    "load_policy": "agent",
    "TrainConfig": "config",
    "load_config": "config",
    "SplitEnv": "env",
    "EvalConfig": "evaluator",
    "RealEvaluator": "evaluator",
    "FEATURES": "features",
    "slot_features": "features",
    "LiveSplitEnv": "live_env",
    "Surrogate": "surrogate",
    "active_learn": "surrogate",
    "train": "train",
}
__all__ = ["EvalConfig", "FEATURES", "LiveSplitEnv", "RealEvaluator", "SplitEnv", "Surrogate", "TrainConfig", "active_learn",
           "load_config", "load_policy", "slot_features", "train"]


lazy_exports(__name__, _WHERE)
