"""Channel damage applied to a hidden state on its way from the UE to the edge.

Three built-in models (a fourth, ``none``, leaves the tensor as it is; more plug in through
llm_split.damage.registry):

* ``element``: every element is erased independently with probability p (the seed paper).
* ``packet``: the tensor is packetised by a :class:`~llm_split.wire.codec.Codec`; packets are lost
  from a loss map (indices from ns-3's packet fates, or i.i.d. with probability p here).
* ``noise``: additive white Gaussian noise at a signal-to-noise ratio in dB, the signal power
  being the mean square of the tensor.

All randomness comes from a ``torch.Generator`` the caller seeds, so the same seed gives the
same damage.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import torch

from llm_split.damage import registry
from llm_split.damage.registry import DamageModel
from llm_split.wire.codec import Codec
from llm_split.wire.fill import check_fill, fill_erased


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p: {p!r} is not a probability in [0, 1]")


def element_erasure(
    hidden: torch.Tensor, p: float, generator: torch.Generator, fill: str = "zero",
    sink_row: torch.Tensor | None = None, forced: Mapping[int, bool] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Erase each element of a (tokens, hidden) tensor with probability ``p`` in [0, 1];
    ``forced`` maps flat element indices to erased (True) or kept (False) after the draw.

    Returns (damaged tensor in the input dtype, erased bool mask).
    """
    _check_p(p)
    erased = torch.rand(hidden.shape, generator=generator) < p
    for i, lost in (forced or {}).items():
        erased.view(-1)[i] = lost
    return fill_erased(hidden, erased.to(hidden.device), fill, sink_row), erased


def random_loss_map(n_packets: int, p: float, generator: torch.Generator) -> set[int]:
    """Indices of lost packets, each lost independently with probability ``p`` in [0, 1]."""
    _check_p(p)
    lost = torch.rand(n_packets, generator=generator) < p
    return set(torch.nonzero(lost).flatten().tolist())


def lost_from_fates(arrival_s: Iterable[float | None], deadline_s: float | None = None) -> set[int]:
    """Loss map from per-packet fates: None (lost) or arrival time in seconds.

    Args:
        arrival_s: one entry per packet, in packet order.
        deadline_s: packets arriving later than this count as lost; None = no deadline.
    """
    return {i for i, t in enumerate(arrival_s)
            if t is None or (deadline_s is not None and t > deadline_s)}


def packet_erasure(
    hidden: torch.Tensor, codec: Codec, lost: Iterable[int], sink_row: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Send a (tokens, hidden) tensor through ``codec`` losing the ``lost`` packets.

    Returns (rebuilt tensor in the input dtype, erased bool mask).
    """
    out, erased = codec.rebuild(codec.encode(hidden), lost, sink_row)
    return out.to(hidden.dtype), erased


def gaussian_noise(hidden: torch.Tensor, snr_db: float, generator: torch.Generator) -> torch.Tensor:
    """Add white Gaussian noise so that mean(h^2) / noise power = 10^(snr_db / 10)."""
    h = hidden.to(torch.float32)
    power = h.pow(2).mean() / (10.0 ** (snr_db / 10.0))
    noise = torch.randn(h.shape, generator=generator) * power.sqrt()
    return (h + noise.to(h.device)).to(hidden.dtype)


@dataclass(frozen=True)
class Damage:
    """One damage setting, applied with :meth:`apply`.

    Args:
        mode: a damage model's name (llm_split.damage.registry: none, element, packet, noise, ...).
        p: element (``element``) or packet (``packet``) loss probability in [0, 1].
        snr_db: signal-to-noise ratio in dB for ``noise``.
        codec: packetiser for ``packet`` (default: float16, 1024-byte payloads); its ``fill`` and
            ``protect`` apply. For ``element`` the codec's dtype is ignored.
        fill: fill of erased elements for ``element`` (see :mod:`llm_split.wire.fill`).
        sink: if True the edge restores row 0 from its own copy (see :mod:`llm_split.wire.fill`).
    """

    mode: str = "none"
    p: float = 0.0
    snr_db: float = 20.0
    codec: Codec | None = None
    fill: str = "zero"
    sink: bool = False

    def __post_init__(self):
        registry.get(self.mode)  # ValueError naming the known models
        _check_p(self.p)
        check_fill(self.fill)

    def packetiser(self, hidden_size: int) -> Codec:
        """The codec of ``packet`` mode: ``codec``, or float16 with 1024-byte payloads."""
        return self.codec or Codec(hidden_size)

    def apply(self, hidden: torch.Tensor, generator: torch.Generator,
              sink_row: torch.Tensor | None = None, forced: Mapping[int, bool] | None = None) -> torch.Tensor:
        """Damage a (tokens, hidden) tensor; ``sink_row`` is used only when ``sink`` is True.
        ``forced``: units (flat elements, or packets) lost (True) or kept (False) whatever the
        draw gives them (llm_split.damage.strata); the draw itself is unchanged."""
        row = sink_row if self.sink else None
        return registry.get(self.mode).apply(self, hidden, generator, row, forced)


class NoDamage(DamageModel):
    name = "none"

    def apply(self, damage, hidden, generator, sink_row=None, forced=None):
        return hidden


class ElementErasure(DamageModel):
    """Every element erased independently with probability p (the seed paper)."""

    name, by_p, stratified = "element", True, True

    def apply(self, damage, hidden, generator, sink_row=None, forced=None):
        return element_erasure(hidden, damage.p, generator, damage.fill, sink_row, forced)[0]

    def units(self, damage, hidden, row, col):
        return [row * hidden.shape[1] + col]


class PacketErasure(DamageModel):
    """The tensor packetised by the codec, each packet lost independently with probability p."""

    name, by_p, stratified = "packet", True, True

    def apply(self, damage, hidden, generator, sink_row=None, forced=None):
        codec = damage.packetiser(hidden.shape[1])
        lost = random_loss_map(codec.n_packets(hidden.shape[0]), damage.p, generator)
        for i, is_lost in (forced or {}).items():
            (lost.add if is_lost else lost.discard)(i)
        return packet_erasure(hidden, codec, lost, sink_row)[0]

    def units(self, damage, hidden, row, col):
        from llm_split.damage.strata import element_packets

        return element_packets(damage.packetiser(hidden.shape[1]), row, col)


class GaussianNoise(DamageModel):
    """Additive white Gaussian noise at ``snr_db``."""

    name = "noise"

    def apply(self, damage, hidden, generator, sink_row=None, forced=None):
        return gaussian_noise(hidden, damage.snr_db, generator)


NO_DAMAGE, ELEMENT_ERASURE, PACKET_ERASURE, GAUSSIAN_NOISE = NoDamage(), ElementErasure(), PacketErasure(), GaussianNoise()
