"""One run of any config file, with ``--set KEY=VALUE`` overrides: what `layersplit run` and every
point of `layersplit sweep` call.

Keys are dotted field paths, list items by number (``ue_groups.0.count=8``); values are YAML
scalars (``8`` is an int, ``am`` a string, ``[1, 2]`` a list). The overrides go through each
config loader's own override path (cosim.scenario.load_scenario / cosim.program.load_any for cell
and split scenarios, mbrl.config.with_overrides for training configs), so an unknown key or a bad
value gives the loader's own one-line error naming the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from cosim.scenario import ConfigError

KINDS = ("cell", "session", "training")


def parse_sets(items: Iterable[str]) -> dict[str, Any]:
    """``["radio.rlc_mode=am", "ue_groups.0.count=8"]`` -> ``{"radio.rlc_mode": "am", ...}``."""
    out = {}
    for item in items:
        key, eq, text = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. radio.rlc_mode=AM")
        try:
            out[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {key}: {text!r} is not a YAML value ({exc})") from None
    return out


def config_kind(path: str | Path) -> str:
    """'training' (an mbrl training config), 'session' (split inference) or 'cell'."""
    import dataclasses

    from cosim.lte_schema import TOP
    from cosim.session import is_session_file

    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return "cell"  # the scenario loader reports what is wrong with the file
    cell_only = (set(TOP) - {"seed", "run"}) | {"program", "probes"}
    if isinstance(raw, dict) and raw and not cell_only & set(raw):  # mbrl imports torch: only when needed
        from mbrl.config import TrainConfig

        if set(raw) <= {f.name for f in dataclasses.fields(TrainConfig)}:
            return "training"
    return "session" if is_session_file(path) else "cell"


def nested(overrides: Mapping[str, Any]) -> dict:
    """Dotted keys as nested mappings: ``{"surrogate.budget": 600}`` -> ``{"surrogate": {"budget": 600}}``."""
    out: dict = {}
    for key, value in overrides.items():
        *parents, last = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{key}: set both as a value and as a section")
        node[last] = value
    return out


def run_config(path: str | Path, out: str | Path | None = None, overrides: Mapping[str, Any] | None = None,
               progress: bool = True) -> Path:
    """Runs a cell scenario, a split session or a training config with overrides; returns its run folder."""
    overrides = dict(overrides or {})
    kind = config_kind(path)
    if kind == "training":
        return _train(path, out, overrides, progress)
    if kind == "session":
        from cosim.session import run_session_file

        return run_session_file(path, out=out, progress=progress, overrides=overrides)
    from cosim.cell_run import run_scenario_file

    return run_scenario_file(path, out=out, progress=progress, overrides=overrides)


def _train(path, out, overrides: dict, progress: bool) -> Path:
    from cosim.rundir import new_run_dir
    from mbrl.config import load_config, with_overrides
    from mbrl.train import train

    cfg = with_overrides(load_config(path), nested(overrides))
    run_dir = new_run_dir(out, "mbrl_" + Path(path).stem)
    train(cfg, out=run_dir, progress=progress)  # writes config.yaml and metrics.json
    return run_dir
