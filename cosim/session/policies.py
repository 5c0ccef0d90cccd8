"""Where to split: the policy interface of a session and the built-in policies.

A policy is any object with ``choose(ue, recent_slots, current_k, recent_packets, state) -> k``:
``recent_slots`` are the UE's latest slot records (SLOT_DTYPE, oldest first, only slots before
now), ``current_k`` its split of the previous request (None for the first), ``recent_packets``
the fates of its latest uplink packets (EVENT_DTYPE, ``t_recv_ns`` -1 when lost; all its
transfers, activations and probes), ``state`` what else the UE knows (:class:`UeState`: its own
backlog and the edge's advertised load). A policy whose ``choose`` has no ``state`` parameter is
called without it, so policies written before it existed still run. The RL agent (mbrl)
implements the same call.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cosim.outputs.uplink import fresh_ul_sinr_db, mean_db


@dataclass(frozen=True)
class UeState:
    """What a UE knows at a decision besides its channel (both also land in the request's record)."""

    queue: int         # its own requests waiting behind the one deciding
    edge_load: float   # the edge server's tail passes in service and waiting, per server, as the
                       # edge would advertise it (cosim.session.edge)
    energy_j: float    # the UE's energy spent so far in the run: compute, and radio from its own
                       # meter (cosim.session.energy.RadioMeter); NaN where no meter runs
    battery_left: float  # share of ue_battery_j not yet spent (may go below 0); NaN without a budget


class SplitPolicy(Protocol):
    def choose(self, ue: int, recent_slots: np.ndarray, current_k: int | None, recent_packets: np.ndarray,
               state: UeState | None = None) -> int: ...


def takes_state(policy) -> bool:
    """Whether ``policy.choose`` accepts the ``state`` keyword."""
    params = inspect.signature(policy.choose).parameters.values()
    return any(p.name == "state" or p.kind is p.VAR_KEYWORD for p in params)


class FixedSplit:
    """Always the same split point."""

    def __init__(self, k: int):
        self.k = k

    def choose(self, ue, recent_slots, current_k, recent_packets=None, state=None) -> int:
        return self.k


def mean_ul_sinr_db(recent_slots: np.ndarray, window: int = 100) -> float:
    """Mean fresh uplink SINR estimate (dB, cosim.outputs.uplink) over the last ``window`` slots; NaN if
    none of them has one (no sounding yet, or the UE stopped sounding)."""
    return mean_db(fresh_ul_sinr_db(recent_slots[-window:])) if len(recent_slots) else float("nan")


class SinrTable:
    """k from the recent mean uplink SINR estimate: the first row whose minimum SINR it reaches.
    Without a fresh estimate (no sounding in the last cosim.outputs.uplink.MAX_EST_AGE_MS) the UE has
    no uplink worth the name, and the table's last row (its most robust split) applies.

    Args:
        table: ((min_sinr_db, k), ...) sorted from the highest threshold down; the last row
            should have a very low threshold so that every SINR maps to some k.
        default_k: the split until the UE's first sounding.
    """

    def __init__(self, table, default_k: int):
        self.table = sorted(table, reverse=True)
        self.default_k = default_k

    def choose(self, ue, recent_slots, current_k, recent_packets=None, state=None) -> int:
        if not len(recent_slots) or not np.isfinite(recent_slots["ul_est_sinr_db"][-1]):
            return self.default_k  # the UE has not sounded yet
        sinr = mean_ul_sinr_db(recent_slots)
        if not np.isfinite(sinr):
            return self.table[-1][1]
        for threshold, k in self.table:
            if sinr >= threshold:
                return k
        return self.table[-1][1]


def make_policy(split_cfg, n_layers: int) -> SplitPolicy:
    """The policy a session's ``split`` section asks for."""
    if split_cfg.policy == "fixed":
        return FixedSplit(split_cfg.k)
    if split_cfg.policy == "sinr_table":
        return SinrTable(split_cfg.table, split_cfg.k)
    from cosim.plugins import policy_factory  # e.g. the RL agent: mbrl's plugin

    return policy_factory(split_cfg.policy)(split_cfg, n_layers)
