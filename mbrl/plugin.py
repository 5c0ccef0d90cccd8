"""mbrl's entry point into cosim (cosim.plugins; pyproject: ``[project.entry-points."layersplit.plugins"]``):
the ``train``, ``evaluate`` and ``paper`` subcommands, the ``agent`` and ``reward_model`` split policies and training
configs for ``layersplit run``. Light at import: everything heavy loads when used."""
from __future__ import annotations

import dataclasses
from pathlib import Path


def register_commands(subparsers) -> None:
    from .cli import register

    register(subparsers)


def _agent(split_section, n_layers: int):
    from .agent import load_policy

    return load_policy(split_section.agent, n_layers)


def _reward_model(split_section, n_layers: int):
    from .request_model import load_policy

    return load_policy(split_section.agent, n_layers)


POLICIES = {"agent": _agent, "reward_model": _reward_model}


def is_training_config(raw) -> bool:
    """A mapping whose keys are all sections of a training config (mbrl.config.TrainConfig), or
    ``base`` (mbrl.config.load_config)."""
    from .config import TrainConfig

    return isinstance(raw, dict) and bool(raw) and set(raw) <= {"base", *(f.name for f in dataclasses.fields(TrainConfig))}


def run_training(path, out, overrides: dict, progress: bool) -> Path:
    """``layersplit run TRAINING.yaml`` with dotted overrides: a training run folder."""
    from cosim.run.dispatch import nested
    from cosim.run.rundir import new_run_dir

    from .config import load_config, with_overrides
    from .train import train

    cfg = with_overrides(load_config(path), nested(overrides))
    run_dir = new_run_dir(out, "mbrl_" + Path(path).stem)
    train(cfg, out=run_dir, progress=progress)  # writes config.yaml and metrics.json
    return run_dir


CONFIG_KINDS = {"training": (is_training_config, run_training)}
