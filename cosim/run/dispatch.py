"""One run of any config file, with ``--set KEY=VALUE`` overrides: what `layersplit run` and every
point of `layersplit sweep` call.

Keys are dotted field paths, list items by number (``ue_groups.0.count=8``); values are YAML
scalars (``8`` is an int, ``am`` a string, ``[1, 2]`` a list). The overrides go through each
config loader's own override path (cosim.radio.lte.schema.load_scenario / cosim.radio.scenario.load_any for cell
and split scenarios, the plugin's own for its configs, e.g. mbrl's training), so an unknown key or a bad
value gives the loader's own one-line error naming the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from cosim.config.checks import ConfigError, load_yaml, parse_yaml

KINDS = ("cell", "session", "training")


def parse_sets(items: Iterable[str]) -> dict[str, Any]:
    """``["radio.rlc_mode=am", "ue_groups.0.count=8"]`` -> ``{"radio.rlc_mode": "am", ...}``."""
    out = {}
    for item in items:
        key, eq, text = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. radio.rlc_mode=AM")
        out[key.strip()] = parse_yaml(text, f"--set {key.strip()}")  # strictly, as config files are
    return out


def peek(path: str | Path) -> dict | None:
    """The config file's top-level mapping, read strictly (cosim.config.checks.load_yaml), to tell
    its kind; None when it cannot be read: the loader of its kind then says why."""
    try:
        return load_yaml(path)
    except ConfigError:
        return None


def config_kind(path: str | Path) -> str:
    """A plugin's kind (cosim.plugins, e.g. 'training' from mbrl), 'session' (split inference) or 'cell'."""
    from cosim.session.runner import is_session_file

    found = _plugin_kind(path)
    if found is not None:
        return found[0]
    return "session" if is_session_file(path) else "cell"


def _plugin_kind(path: str | Path):
    """(kind, run) of the plugin that claims the YAML at ``path``, or None (cells and sessions)."""
    from cosim.radio.cell import CELL_KEYS
    from cosim.plugins import config_runner

    raw = peek(path)
    cell_only = (set(CELL_KEYS) - {"seed", "run"}) | {"program", "probes"}
    if isinstance(raw, dict) and raw and not cell_only & set(raw):
        return config_runner(raw)
    return None


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
    found = _plugin_kind(path)
    if found is not None:
        return found[1](path, out, overrides, progress)
    if config_kind(path) == "session":
        from cosim.session.runner import run_session_file

        return run_session_file(path, out=out, progress=progress, overrides=overrides)
    from cosim.run.cell_run import run_scenario_file

    return run_scenario_file(path, out=out, progress=progress, overrides=overrides)
