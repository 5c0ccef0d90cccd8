"""Radios by name: what layersplit needs of a radio technology, and where each one is found.

A built-in cell scenario names its radio with ``radio.technology`` (default ``lte``). A radio is a
:class:`Radio`: how its YAML is checked, which ns-3 program runs it and with what arguments, what
is saved as the run's config, and what a UE-slot costs (for the up-front estimate). Everything
else (the bridge, the traces, split sessions, sweeps) never asks which radio ran.

Where radios come from, in this order:

- the built-ins, one line each in :data:`BUILTIN` (a module with a ``RADIO``);
- packages, through the ``layersplit.plugins`` entry-point group (cosim.plugins): a plugin module's
  ``RADIOS = {name: Radio}``;
- :func:`register`, for a radio defined at run time (a test, a notebook).

docs/extending.md walks through adding one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from cosim.config.checks import choice

DEFAULT = "lte"
BUILTIN = {"lte": "cosim.radio.lte", "nr": "cosim.radio.nr"}  # name -> module holding RADIO


@dataclass(frozen=True)
class Radio:
    """A radio technology.

    Args:
        name: the value of ``radio.technology`` that picks it.
        scenario_type: the class of its loaded scenarios (how a loaded scenario finds its radio).
        load: (parsed YAML mapping, overrides already applied; extra top-level sections other
            packages own) -> the checked scenario; ConfigError naming the key path on bad input.
        launch: (scenario, run folder) -> (ns-3 program, its arguments); the program is a name
            under cosim/bin or a path, and gets ``--bridge=...`` from the launcher besides.
        resolved: scenario -> the mapping saved as the run's config.yaml (it loads back as the
            same scenario).
        wall_s_per_ue_slot: wall seconds one UE costs per slot of the radio, for cosim.run.estimate.
        slot_s: scenario -> the seconds its cost is counted per (wall_s_per_ue_slot's unit).
        timing: scenario -> what a reader of the traces needs to know of its time grid (slot
            length, numerology, ...), written into the run's meta.json under ``radio``.
    """

    name: str
    scenario_type: type
    load: Callable[[dict, Iterable[str]], Any]
    launch: Callable[[Any, Path], tuple[str, list[str]]]
    resolved: Callable[[Any], dict]
    wall_s_per_ue_slot: float = 25e-6
    slot_s: Callable[[Any], float] = lambda sc: 1e-3
    timing: Callable[[Any], dict] = lambda sc: {}


_registered: dict[str, Radio] = {}


def register(radio: Radio) -> Radio:
    """Adds (or replaces) a radio for this process; returns it."""
    _registered[radio.name] = radio
    return radio


def unregister(name: str) -> None:
    """Removes a radio that :func:`register` added (a test's own, when it ends)."""
    _registered.pop(name, None)


def _plugin_radios() -> dict[str, Radio]:
    from cosim.plugins import plugins

    return {name: r for p in plugins() for name, r in getattr(p, "RADIOS", {}).items()}


def names() -> tuple[str, ...]:
    """Every radio name known to this process (built-ins, plugins', registered)."""
    return tuple(dict.fromkeys([*BUILTIN, *_plugin_radios(), *_registered]))


def get(name: str, path: str = "radio.technology") -> Radio:
    """The radio called ``name``; ConfigError naming ``path`` and the known names otherwise."""
    name = choice(path, name, names())
    if name in _registered:
        return _registered[name]
    if name in BUILTIN:
        return importlib.import_module(BUILTIN[name]).RADIO
    return _plugin_radios()[name]


def technology(raw: Mapping[str, Any]) -> str:
    """The radio a parsed scenario mapping asks for: ``radio.technology``, or the default."""
    radio = raw.get("radio") if isinstance(raw, Mapping) else None
    if not isinstance(radio, Mapping) or "technology" not in radio:
        return DEFAULT
    return choice("radio.technology", radio["technology"], names())


def of_scenario(sc: Any) -> Radio | None:
    """The radio whose scenarios are of ``sc``'s type; None for a user's own program."""
    for name in names():
        radio = get(name)
        if type(sc) is radio.scenario_type:
            return radio
    return None


def run_facts(sc: Any) -> dict:
    """meta.json's ``radio``: the radio's name and its time grid; empty for a user's own program."""
    radio = of_scenario(sc)
    return {} if radio is None else {"radio": {"technology": radio.name, **radio.timing(sc)}}


def program_with_config(program: str, writer: Callable[[Any], str]) -> Callable[[Any, Path], tuple[str, list[str]]]:
    """A ``launch`` for a program that reads one config file: writes ``writer(scenario)`` to
    ``RUN/PROGRAM.cfg`` and passes ``--config=`` that path."""
    def launch(sc: Any, run_dir: Path) -> tuple[str, list[str]]:
        cfg = run_dir / f"{program}.cfg"
        cfg.write_text(writer(sc))
        return program, [f"--config={cfg}"]
    return launch
