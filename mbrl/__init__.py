"""Model-based RL split agent: Gymnasium environment over recorded LTE traces (or a live
co-simulation), real evaluator, reward surrogate with uncertainty, PPO on the surrogate, baselines.

Public API: :class:`SplitEnv`, :class:`LiveSplitEnv`, :class:`RealEvaluator`, :class:`Surrogate`,
:func:`active_learn`, :func:`train`, :func:`load_policy`, :func:`load_config`, :func:`slot_features`.
"""

import sys
import types

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


def __getattr__(name):
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_WHERE))


class _Package(types.ModuleType):
    """Importing a submodule binds its name in the package; where a function has that name (as
    before, when this file imported everything), the function wins."""

    def __setattr__(self, name, value):
        if not (isinstance(value, types.ModuleType) and _WHERE.get(name) == name):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
