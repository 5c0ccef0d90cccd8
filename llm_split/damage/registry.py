"""Damage models by name: what a hidden state meets between the UE and the edge.

A damage model is a :class:`DamageModel`; :class:`~llm_split.damage.models.Damage` holds one
setting (``mode`` names the model) and asks the model to apply it. Where models come from:

- the built-ins, one line each in :data:`BUILTIN` (``module:attribute``);
- packages, through the entry-point group ``layersplit.damage_models`` (the entry point names a
  DamageModel instance);
- :func:`register`, for a model defined at run time (a test, a notebook).

docs/extending.md walks through adding one.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

GROUP = "layersplit.damage_models"
BUILTIN = {
    "none": "llm_split.damage.models:NO_DAMAGE",
    "element": "llm_split.damage.models:ELEMENT_ERASURE",
    "packet": "llm_split.damage.models:PACKET_ERASURE",
    "noise": "llm_split.damage.models:GAUSSIAN_NOISE",
}


class DamageModel:
    """One kind of damage. Subclasses set ``name`` and override :meth:`apply`.

    ``by_p``: the setting's strength is a loss probability ``p`` (so ``layersplit profile`` can
    sweep it). ``stratified``: its damage is independent losses of units (e.g. elements, packets)
    at probability p, named by :meth:`units`, so llm_split.damage.strata can take the exact
    expectation over the decisive ones.
    """

    name: str = ""
    by_p: bool = False
    stratified: bool = False

    def apply(self, damage, hidden, generator, sink_row=None, forced=None):
        """The damaged (tokens, hidden) tensor. ``damage`` is the Damage setting; ``sink_row`` the
        edge's own row 0 when it restores it; ``forced`` maps units to lost (True) or kept (False)
        whatever the draw gives them (stratifiable models only)."""
        raise NotImplementedError

    def units(self, damage, hidden, row: int, col: int) -> list[int]:
        """The units whose loss erases element (row, col) (stratified models only)."""
        raise NotImplementedError


_registered: dict[str, DamageModel] = {}


def register(model: DamageModel) -> DamageModel:
    """Adds (or replaces) a damage model for this process; returns it."""
    _registered[model.name] = model
    return model


def unregister(name: str) -> None:
    """Removes a damage model that :func:`register` added (a test's own, when it ends)."""
    _registered.pop(name, None)


def _plugged() -> dict:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def names() -> tuple[str, ...]:
    """Every damage model name known to this process (built-ins, packages', registered)."""
    return tuple(dict.fromkeys([*BUILTIN, *sorted(_plugged()), *_registered]))


def get(name: str) -> DamageModel:
    """The model called ``name``; ValueError naming ``mode`` and the known names otherwise."""
    if name in _registered:
        return _registered[name]
    if name in BUILTIN:
        module, attr = BUILTIN[name].split(":")
        return getattr(importlib.import_module(module), attr)
    plugged = _plugged()
    if isinstance(name, str) and name in plugged:
        return register(plugged[name].load())
    raise ValueError(f"mode: {name!r} is not one of {', '.join(names())}")
