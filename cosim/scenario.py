"""Cell scenarios: where each part lives, and the names other modules import from here.

- ``cosim.checks``: what every schema shares (ConfigError, the value parsers, strict YAML loading,
  dotted overrides, the top-level keys every scenario has: name, duration_s, seed, run, transfer).
- ``cosim.lte_schema``: the LTE cell's sections, defaults and checks (``load_scenario``).
- ``cosim.lte_bands``: EARFCN <-> frequency.
- ``cosim.lte_program_config``: the config text the ``lte_cell`` program reads.
- ``cosim.program``: scenarios whose cell is a user's own ns-3 program (``load_any`` picks).

A schema for another radio goes beside lte_schema, built from cosim.checks the same way.
"""

from __future__ import annotations

from cosim.checks import ConfigError, Transfer, apply_overrides, load_yaml
from cosim.checks import boolean as _bool
from cosim.checks import choice as _choice
from cosim.checks import fmt_allowed as _fmt_allowed
from cosim.checks import integer as _int
from cosim.checks import list_of as _list
from cosim.checks import num as _num
from cosim.checks import section as _section
from cosim.checks import string as _str
from cosim.checks import vec as _vec
from cosim.lte_program_config import to_program_config
from cosim.lte_schema import (BANDWIDTHS, DIRECTIONS, FADING_MODELS, MOBILITY_KINDS, PLACEMENT_KINDS,
                              PROPAGATION_MODELS, SCHEDULERS, TRAFFIC_KINDS, Channel, Edge, Fading, LogDistance,
                              Mobility, OkumuraHata, Placement, Radio, Scenario, Traffic, UeGroup, dl_frequency_hz,
                              load_scenario, resolved_dict)

__all__ = [
    "ConfigError",
    "Scenario",
    "load_scenario",
    "to_program_config",
    "resolved_dict",
    "SCHEDULERS",
    "PROPAGATION_MODELS",
]
