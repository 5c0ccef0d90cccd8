"""The 5G NR cell schema (5G-LENA): a built-in ``nr_cell`` scenario is chosen by
``radio: {technology: nr, ...}``; everything outside ``radio`` and ``channel`` (edge, transfer,
ue_groups with their placement, mobility and traffic) is the LTE cell's (cosim.radio.lte.schema).

Errors name the key path, the bad value and what is allowed, as every schema built on
cosim.config.checks does, e.g. ``radio.numerology: 5 must be <= 4``.

    radio:
      technology: nr
      numerology: 1                 # 0..4: subcarrier spacing 15 * 2^mu kHz, slot 1/2^mu ms
      frequency_ghz: 3.5            # carrier (FR1 default; 28 for FR2)
      bandwidth_mhz: 20
      tdd_pattern: "F|F|F|F|F|F|F|F|F|F"   # per slot: DL, UL, F (flexible) or S (special)
      scheduler: ofdma_pf           # tdma_/ofdma_ + rr | pf | mr | qos
      mcs_table: nr1                # nr1 (38.214 table 1, 64QAM) | nr2 (table 2, 256QAM) | lte
      harq: true                    # HARQ retransmissions (up to 3); false: a failed TB is gone
      harq_combining: ir            # ir (incremental redundancy) | cc (chase combining)
      rlc_mode: UM
      gnb_antenna: [4, 8]           # rows, columns of the gNB's uniform planar array
      ue_antenna: [1, 2]
      antenna_element: isotropic    # isotropic (a cell serving all around) | 3gpp (TR 38.901 sector element, facing +x)
      beamforming: direct_path      # ideal beamforming: direct_path | cell_scan | ...
    channel:
      scenario: UMa                 # UMa | UMi-StreetCanyon | RMa | InH-OfficeMixed | InH-OfficeOpen
      condition: default            # default (38.901 LOS probability) | los | nlos
      shadowing: true
      fading: true                  # 38.901 small-scale fading (channel matrix); false: path loss only
      update_period_ms: 100         # channel condition and channel matrix refresh (0: never)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from cosim.config.checks import (Bool, Choice, ConfigError, Fn, Int, Num, Section, Transfer, Vec, fmt_allowed, integer, string)
from cosim.radio.cell import CELL_TOP, Edge, UeGroup, load_cell, resolved_cell
from cosim.radio.nr.uplink_limit import check_ofdma_uplink

SCHEDULERS = {
    f"{kind}_{alg}": f"ns3::NrMacScheduler{kind.capitalize()}{name}"
    for kind in ("tdma", "ofdma")
    for alg, name in (("rr", "RR"), ("pf", "PF"), ("mr", "MR"), ("qos", "Qos"))
}
# mcs_table x harq_combining -> 5G-LENA error model (it fixes the MCS table and the TB sizes)
ERROR_MODELS = {
    ("nr1", "ir"): "ns3::NrEesmIrT1", ("nr1", "cc"): "ns3::NrEesmCcT1",
    ("nr2", "ir"): "ns3::NrEesmIrT2", ("nr2", "cc"): "ns3::NrEesmCcT2",
    ("lte", "ir"): "ns3::NrLteMiErrorModel", ("lte", "cc"): "ns3::NrLteMiErrorModel",
}
BEAMFORMING = {
    "direct_path": "ns3::DirectPathBeamforming",
    "cell_scan": "ns3::CellScanBeamforming",
    "quasi_omni_direct_path": "ns3::QuasiOmniDirectPathBeamforming",
    "direct_path_quasi_omni": "ns3::DirectPathQuasiOmniBeamforming",
}
# YAML name -> NrChannelHelper scenario name
NEEDS_FADING = {"cell_scan"}  # a beam search over the channel matrix, which fading: false leaves out
CHANNEL_SCENARIOS = {"UMa": "UMa", "UMi-StreetCanyon": "UMi", "RMa": "RMa",
                     "InH-OfficeMixed": "InH-OfficeMixed", "InH-OfficeOpen": "InH-OfficeOpen"}
CONDITIONS = {"default": "Default", "los": "LOS", "nlos": "NLOS"}
BANDWIDTHS_MHZ = (5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 200, 400)
SLOT_TYPES = ("DL", "UL", "F", "S")
MIN_RBS = 11  # fewer cannot carry the control region and a useful grant


@dataclass
class NrRadio:
    technology: str = "nr"
    numerology: int = 1
    frequency_ghz: float = 3.5
    bandwidth_mhz: float = 20
    tdd_pattern: str = "F|F|F|F|F|F|F|F|F|F"
    scheduler: str = "ofdma_pf"
    mcs_table: str = "nr1"
    harq: bool = True
    harq_combining: str = "ir"
    rlc_mode: str = "UM"
    rlc_max_tx_buffer_bytes: int = 8 * 1024 * 1024
    gnb_tx_power_dbm: float = 35.0
    ue_tx_power_dbm: float = 23.0
    gnb_noise_figure_db: float = 5.0
    ue_noise_figure_db: float = 9.0
    gnb_position: tuple[float, float, float] = (0.0, 0.0, 25.0)
    gnb_antenna: tuple[int, int] = (4, 8)
    ue_antenna: tuple[int, int] = (1, 2)
    antenna_element: str = "isotropic"
    beamforming: str = "direct_path"
    handover: None = None  # refused (NOT_OFFERED): null only
    cells: None = None
    layout: None = None

    @property
    def bandwidth_rbs(self) -> int:
        """Resource blocks of the carrier (5G-LENA: floor(bandwidth / (12 * subcarrier spacing)))."""
        return int(self.bandwidth_mhz * 1e6 // (12 * 15e3 * 2**self.numerology))

    @property
    def slot_ms(self) -> float:
        return 1.0 / 2**self.numerology


@dataclass
class NrChannel:
    scenario: str = "UMa"
    condition: str = "default"
    shadowing: bool = True
    fading: bool = True
    update_period_ms: float = 100.0


@dataclass
class NrScenario:
    name: str = "nr"
    duration_s: float = 10.0
    seed: int = 1
    run: int = 1
    radio: NrRadio = field(default_factory=NrRadio)
    channel: NrChannel = field(default_factory=NrChannel)
    edge: Edge = field(default_factory=Edge)
    transfer: Transfer = field(default_factory=Transfer)
    ue_groups: list[UeGroup] = field(default_factory=lambda: [UeGroup()])
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ue_count(self) -> int:
        return sum(g.count for g in self.ue_groups)


def _pair(path: str, v: Any) -> tuple[int, int]:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise ConfigError(f"{path}: {v!r} is not [rows, columns]")
    return tuple(integer(f"{path}[{i}]", x, 1, 16) for i, x in enumerate(v))


def _pattern(path: str, v: Any) -> str:
    slots = [s.strip() for s in string(path, v, 400).strip("|").split("|")]
    for i, s in enumerate(slots):
        if s not in SLOT_TYPES:
            raise ConfigError(f"{path}: slot {i} is {s!r}, not one of {', '.join(SLOT_TYPES)}")
    if not {"UL", "F"} & set(slots):
        raise ConfigError(f"{path}: {v!r} has no uplink slot (UL or F); activations could not be sent")
    if not {"DL", "F", "S"} & set(slots):
        raise ConfigError(f"{path}: {v!r} has no downlink slot (DL, F or S)")
    return "|".join(slots)


def _check_radio(path: str, r: NrRadio) -> None:
    if r.bandwidth_rbs < MIN_RBS:
        raise ConfigError(f"{path}.bandwidth_mhz: {r.bandwidth_mhz} MHz at numerology {r.numerology} gives "
                          f"{r.bandwidth_rbs} resource blocks; at least {MIN_RBS} are needed (wider band or lower numerology)")


_antenna = Fn(_pair, "list of 2 integers", "[rows, columns], each 1 <= x <= 16")
# Keys the LTE cell has and the NR cell does not, with the reason (a one-line error, never a
# silently single-cell run).
NOT_OFFERED = {
    "handover": "handover is not offered for NR: 5G-LENA NR-v4.0 documents it as unsupported and "
                "its handover tests are disabled (LTE cells have it: radio.handover)",
    "cells": "several gNBs are not offered for NR yet (LTE cells have them: radio.cells)",
    "layout": "several gNBs are not offered for NR yet (LTE cells have them: radio.layout)",
}


def _not_offered(key: str) -> Fn:
    def refuse(path: str, v):
        if v is not None:
            raise ConfigError(f"{path}: {NOT_OFFERED[key]}")
    return Fn(refuse, "null", "not offered for NR")


_radio = Section(NrRadio, {
    "technology": Choice(("nr",)),
    "numerology": Int(0, 4),
    "frequency_ghz": Num(0.5, 100),
    "bandwidth_mhz": Choice(BANDWIDTHS_MHZ),
    "tdd_pattern": Fn(_pattern, "string", f"slots separated by |, each one of {', '.join(SLOT_TYPES)}; "
                                          "at least one uplink (UL, F) and one downlink (DL, F, S) slot"),
    "scheduler": Choice(SCHEDULERS),
    "mcs_table": Choice(("nr1", "nr2", "lte")),
    "harq": Bool(),
    "harq_combining": Choice(("ir", "cc")),
    "rlc_mode": Choice(("UM", "AM")),
    "rlc_max_tx_buffer_bytes": Int(10 * 1024, 2**31 - 1),
    "gnb_tx_power_dbm": Num(-30, 60),
    "ue_tx_power_dbm": Num(-40, 33),
    "gnb_noise_figure_db": Num(0, 20),
    "ue_noise_figure_db": Num(0, 20),
    "gnb_position": Vec(3, unit="m"),
    "gnb_antenna": _antenna,
    "ue_antenna": _antenna,
    "antenna_element": Choice(("3gpp", "isotropic")),
    "beamforming": Choice(BEAMFORMING),
    "handover": _not_offered("handover"),
    "cells": _not_offered("cells"),
    "layout": _not_offered("layout"),
}, check=_check_radio)

_channel = Section(NrChannel, {
    "scenario": Choice(CHANNEL_SCENARIOS),
    "condition": Choice(CONDITIONS),
    "shadowing": Bool(),
    "fading": Bool(),
    "update_period_ms": Num(0, 1e6),
})

# The whole NR cell scenario (its extra sections aside), as load_scenario checks it.
def _check_scenario(path: str, sc: NrScenario) -> None:
    if sc.radio.beamforming in NEEDS_FADING and not sc.channel.fading:
        raise ConfigError(f"radio.beamforming: {sc.radio.beamforming!r} searches beams on the 38.901 channel "
                          f"matrix; it needs channel.fading: true (or use {fmt_allowed(sorted(set(BEAMFORMING) - NEEDS_FADING))})")
    check_ofdma_uplink(sc.ue_count, sc.radio)  # more UEs than that: the uplink never starts


SCHEMA = Section(NrScenario, {**CELL_TOP, "radio": _radio, "channel": _channel}, check=_check_scenario)


def load_scenario(source: str | Path | Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                  extra_sections: Iterable[str] = ()) -> NrScenario:
    """Loads and validates an NR cell scenario (a YAML path or a parsed mapping).

    Raises:
        ConfigError: any bad, unknown or missing value (message: key path, value, allowed values).
    """
    return load_cell(source, overrides, extra_sections, SCHEMA)



def resolved_dict(sc: NrScenario) -> dict[str, Any]:
    """For saving: every setting after defaults (it loads back as the same scenario) and, under
    ``derived``, what the settings resolve to (UE positions, resource blocks, slot)."""
    return resolved_cell(sc, {"bandwidth_rbs": sc.radio.bandwidth_rbs, "slot_ms": sc.radio.slot_ms}, NOT_OFFERED)
