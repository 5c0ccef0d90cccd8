"""Model-based RL split agent: Gymnasium environment over recorded LTE traces (or a live
co-simulation), real evaluator, reward surrogate with uncertainty, PPO on the surrogate, baselines.

Public API: :class:`SplitEnv`, :class:`LiveSplitEnv`, :class:`RealEvaluator`, :class:`Surrogate`,
:func:`active_learn`, :func:`train`, :func:`load_policy`, :func:`load_config`, :func:`slot_features`.
"""
from .agent import load_policy
from .config import TrainConfig, load_config
from .env import SplitEnv
from .evaluator import EvalConfig, RealEvaluator
from .features import FEATURES, slot_features
from .live_env import LiveSplitEnv
from .surrogate import Surrogate, active_learn
from .train import train

__all__ = ["EvalConfig", "FEATURES", "LiveSplitEnv", "RealEvaluator", "SplitEnv", "Surrogate", "TrainConfig", "active_learn",
           "load_config", "load_policy", "slot_features", "train"]
