"""What other packages add to cosim: subcommands, split policies, kinds of run config.

cosim imports none of them by name. A package plugs in through an entry point of the group
``layersplit.plugins`` (pyproject.toml, ``[project.entry-points."layersplit.plugins"]``): a
module with any of

- ``register_commands(subparsers)``: adds argparse subcommands to ``layersplit``;
- ``POLICIES = {name: factory(split_section, n_layers) -> policy}``: a session's ``split.policy``;
- ``CONFIG_KINDS = {kind: (detect(raw mapping) -> bool, run(path, out, overrides, progress) -> Path)}``:
  a YAML that ``layersplit run`` hands to the package instead of the cell or session runner.

Plugins load on first use, so ``layersplit --help`` imports only what their modules import at
the top (keep those light: torch is seconds).
"""
from __future__ import annotations

from importlib.metadata import entry_points

from cosim.config.checks import ConfigError

GROUP = "layersplit.plugins"
_loaded: list | None = None


def plugins() -> list:
    """The plugin modules, in entry-point name order (loaded once)."""
    global _loaded
    if _loaded is None:
        _loaded = [ep.load() for ep in sorted(entry_points(group=GROUP), key=lambda ep: ep.name)]
    return _loaded


def register_commands(subparsers) -> None:
    for p in plugins():
        if hasattr(p, "register_commands"):
            p.register_commands(subparsers)


def policy_factory(name: str):
    """The factory of split policy ``name``; ConfigError naming ``split.policy`` when no plugin has it."""
    for p in plugins():
        if name in getattr(p, "POLICIES", {}):
            return p.POLICIES[name]
    raise ConfigError(f"split.policy: {name!r} comes from a plugin ({GROUP} entry point) and none provides it; "
                      f"installed: {', '.join(p.__name__ for p in plugins()) or 'none'}")


def config_runner(raw) -> tuple[str, object] | None:
    """(kind, run) of the first plugin config kind that claims the mapping ``raw``, else None."""
    for p in plugins():
        for kind, (detect, run) in getattr(p, "CONFIG_KINDS", {}).items():
            if detect(raw):
                return kind, run
    return None
