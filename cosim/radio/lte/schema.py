"""The LTE cell schema: the sections of a built-in ``lte_cell`` scenario, their defaults and checks.

The schema is code (dataclasses below); a YAML file only chooses values. :func:`load_scenario`
checks every field and raises :class:`ConfigError` naming the full key path, the bad value and
what is allowed, e.g. ``radio.bandwidth_rbs: 30 is not one of 6, 15, 25, 50, 75, 100``.

Top-level keys::

    name: str                      run name (A-Z a-z 0-9 _ . -)
    duration_s: float > 0          simulated time
    seed: int >= 1                 ns-3 RngSeedManager seed (also seeds placement and fading)
    run: int >= 1                  ns-3 RngSeedManager run number (default 1)
    radio: {bandwidth_rbs, dl_earfcn | dl_frequency_mhz, enb_tx_power_dbm, ue_tx_power_dbm,
            enb_noise_figure_db, ue_noise_figure_db, scheduler, rlc_mode, rlc_max_tx_buffer_bytes,
            enb_position | cells[{position, height_m, tx_power_dbm, azimuth_deg, beamwidth_deg,
            max_attenuation_db}] | layout{kind, inter_site_distance_m, rings, sites, sectors, center,
            height_m, tx_power_dbm, beamwidth_deg, max_attenuation_db}, rlf_detection,
            rlc_am_retx_always_fits, harq, handover{algorithm, <its ns-3 attributes>}, rrc,
            power_control{enabled, ClosedLoop, AccumulationEnabled, PoNominalPusch, Alpha}}
    channel: {propagation, shadowing, log_distance{exponent, reference_loss_db},
              okumura_hata{environment, city_size}, fading{model, speed_kmh, trace_length_s,
              window_s}}
    edge: {backhaul_delay_ms, backhaul_rate_gbps}
    transfer: {payload_bytes, loss_timeout_ms}
    ue_groups: [{count, height_m, placement{...}, mobility{...}, traffic{...}}]

Shared checks (types, bounds, strict YAML, overrides) are in ``cosim.config.checks``; band arithmetic in
``cosim.radio.lte.bands``; the text the ns-3 program reads is written by ``cosim.radio.lte.program_config``.

Timing note: UEs attach at t = 0 (ideal RRC); their data bearer is up after about 20-60 ms.
With several cells (``radio.cells``) each UE first searches for the strongest cell (ns-3's initial
cell selection on RSRP) and connects to it; records name the serving cell (``cell_id``, ns-3's cell
ids 1, 2, ... in list order). With ``radio.handover`` a connected UE is handed over between them
(X2, ns-3's handover algorithms); ``handovers.parquet`` records each handover (docs/records.md).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from cosim.config.checks import (Bool, Choice, ConfigError, Fn, Int, ListOf, Num, Optional, Section, Transfer,
                                 Vec, fmt_allowed, num, settings, vec)
from cosim.radio.cell import CELL_TOP, Edge, UeGroup, load_cell, resolved_cell
from cosim.radio.lte import bands as lte_bands

BANDWIDTHS = (6, 15, 25, 50, 75, 100)
# Known ns-3.44 limitation: the TBFQ schedulers fill each flow's token bucket at the bearer's
# downlink MBR, and the default bearer every UE gets has MBR 0; fdtbfq then never schedules the
# downlink (tdtbfq still does, on its debt limit). The uplink works with both.
SCHEDULERS = {
    "pf": "ns3::PfFfMacScheduler",
    "rr": "ns3::RrFfMacScheduler",
    "tdmt": "ns3::TdMtFfMacScheduler",
    "fdmt": "ns3::FdMtFfMacScheduler",
    "tta": "ns3::TtaFfMacScheduler",
    "fdbet": "ns3::FdBetFfMacScheduler",
    "tdbet": "ns3::TdBetFfMacScheduler",
    "pss": "ns3::PssFfMacScheduler",
    "cqa": "ns3::CqaFfMacScheduler",
    "fdtbfq": "ns3::FdTbfqFfMacScheduler",
    "tdtbfq": "ns3::TdTbfqFfMacScheduler",
}
# name -> (ns-3 path-loss TypeId, ns-3 channel-condition TypeId or None)
PROPAGATION_MODELS = {
    "friis": ("ns3::FriisPropagationLossModel", None),
    "log_distance": ("ns3::LogDistancePropagationLossModel", None),
    "okumura_hata": ("ns3::OkumuraHataPropagationLossModel", None),
    "cost231": ("ns3::Cost231PropagationLossModel", None),
    "3gpp_uma": ("ns3::ThreeGppUmaPropagationLossModel", "ns3::ThreeGppUmaChannelConditionModel"),
    "3gpp_umi": (
        "ns3::ThreeGppUmiStreetCanyonPropagationLossModel",
        "ns3::ThreeGppUmiStreetCanyonChannelConditionModel",
    ),
    "3gpp_rma": ("ns3::ThreeGppRmaPropagationLossModel", "ns3::ThreeGppRmaChannelConditionModel"),
    "3gpp_inh": (
        "ns3::ThreeGppIndoorOfficePropagationLossModel",
        "ns3::ThreeGppIndoorMixedOfficeChannelConditionModel",
    ),
}
FADING_MODELS = ("none", "epa", "eva", "etu")


# name -> ns-3 handover algorithm TypeId (LteHelper::SetHandoverAlgorithmType)
HANDOVER_ALGORITHMS = {
    "none": "ns3::NoOpHandoverAlgorithm",
    "a3_rsrp": "ns3::A3RsrpHandoverAlgorithm",
    "a2a4_rsrq": "ns3::A2A4RsrqHandoverAlgorithm",
}
# Each algorithm's attributes, under their ns-3 names, with ns-3's defaults.
HANDOVER_ATTRIBUTES = {
    "none": {},
    "a3_rsrp": {"Hysteresis": 3.0, "TimeToTrigger": 256},
    "a2a4_rsrq": {"ServingCellThreshold": 30, "NeighbourCellOffset": 1},
}
# TS 36.331 ReportConfigEUTRA timeToTrigger: ns-3's real RRC can encode only these (ms).
TIME_TO_TRIGGER_MS = (0, 40, 64, 80, 100, 128, 160, 256, 320, 480, 512, 640, 1024, 1280, 2560, 5120)

# ----------------------------------------------------------------------------- dataclasses
MAX_CELLS = 64  # what a program may publish in its geometry (cpp_ext segment.hpp kMaxGeometryCells)
CELL_MIN_SEPARATION_M = 1.0  # closer base stations count as the same site


@dataclass
class Cell:
    """One eNB of a several-cell scenario; with ``azimuth_deg`` a sector (several may share a site)."""
    position: tuple[float, float] | None = None  # [x, y], m; required
    height_m: float = 25.0  # antenna height (the z of enb_position)
    tx_power_dbm: float | None = None  # None: radio.enb_tx_power_dbm
    # None: an isotropic antenna (ns-3's default); a number: ns-3's ParabolicAntennaModel (TR 36.814
    # pattern, -min(12 (angle / beamwidth)^2, max attenuation) dB) pointed that way, 0 = +x, 90 = +y
    azimuth_deg: float | None = None
    beamwidth_deg: float = 70.0  # 3 dB beamwidth (TR 36.814 Table A.2.1.1-2)
    max_attenuation_db: float = 20.0  # ns-3's default (ParabolicAntennaModel MaxAttenuation)

    def antenna(self) -> tuple[float, float, float]:
        return (self.position[0], self.position[1], self.height_m)


LAYOUT_KINDS = ("hexagonal", "line")
SECTOR_AZIMUTHS_DEG = (30.0, 150.0, 270.0)  # three sectors, each facing between two neighbour sites


@dataclass
class Layout:
    """A regular layout of sites that resolves to ``cells``: hexagonal (a site at ``center`` and
    ``rings`` rings around it, neighbours ``inter_site_distance_m`` apart at 0, 60, ... degrees)
    or line (``sites`` sites along +x from ``center``). ``sectors`` 3 puts three cells at each site,
    facing 30, 150 and 270 degrees."""
    kind: str = "hexagonal"
    inter_site_distance_m: float = 500.0
    rings: int = 1  # hexagonal: 1 + 3 r (r + 1) sites for r rings
    sites: int = 3  # line
    sectors: int = 1
    center: tuple[float, float] = (0.0, 0.0)
    height_m: float = 25.0
    tx_power_dbm: float | None = None  # None: radio.enb_tx_power_dbm
    beamwidth_deg: float = 70.0  # sectors 3: each sector's antenna (Cell)
    max_attenuation_db: float = 20.0

    def sites_xy(self) -> list[tuple[float, float]]:
        d, (cx, cy) = self.inter_site_distance_m, self.center
        if self.kind == "line":
            return [(cx + i * d, cy) for i in range(self.sites)]
        out = []
        for q in range(-self.rings, self.rings + 1):  # axial coordinates, ring = hex distance from the centre
            for r in range(-self.rings, self.rings + 1):
                ring = max(abs(q), abs(r), abs(q + r))
                if ring <= self.rings:
                    x, y = d * (q + r / 2), d * r * math.sqrt(3) / 2
                    out.append((ring, math.atan2(y, x) % (2 * math.pi), cx + x, cy + y))
        return [(round(x, 3), round(y, 3)) for _, _, x, y in sorted(out)]  # ring by ring, counter-clockwise

    def cells(self) -> list[Cell]:
        azimuths = SECTOR_AZIMUTHS_DEG if self.sectors == 3 else (None,)
        return [Cell(position=xy, height_m=self.height_m, tx_power_dbm=self.tx_power_dbm, azimuth_deg=a,
                     beamwidth_deg=self.beamwidth_deg, max_attenuation_db=self.max_attenuation_db)
                for xy in self.sites_xy() for a in azimuths]


@dataclass
class Handover:
    """The eNBs' handover algorithm; the attributes it has keep their ns-3 names and units."""
    algorithm: str = "none"
    Hysteresis: float | None = None  # a3_rsrp: dB, 0..15 in 0.5 dB steps
    TimeToTrigger: int | None = None  # a3_rsrp: ms
    ServingCellThreshold: int | None = None  # a2a4_rsrq: RSRQ range 0..34 (TS 36.133)
    NeighbourCellOffset: int | None = None  # a2a4_rsrq: RSRQ range steps

    def attributes(self) -> dict[str, Any]:
        """The algorithm's ns-3 attributes, every one resolved."""
        return {name: getattr(self, name) for name in HANDOVER_ATTRIBUTES[self.algorithm]}


@dataclass
class PowerControl:
    """The UEs' uplink power control (ns-3 LteUePowerControl, TS 36.213 5.1.1): the PUSCH power is
    min(Pcmax, PoNominalPusch + 10 log10(RBs) + Alpha * path loss + closed-loop correction), with
    Pcmax = radio.ue_tx_power_dbm. enabled false: every transmission at radio.ue_tx_power_dbm."""
    enabled: bool = True
    ClosedLoop: bool = True  # the eNB's TPC commands correct the open-loop power
    AccumulationEnabled: bool = True  # TPC commands accumulate (false: absolute)
    PoNominalPusch: int = -80  # dBm per RB, the cell's target received power
    Alpha: float = 1.0  # fraction of the path loss compensated

    def changed(self) -> dict[str, Any]:
        """The ns-3 attributes that differ from ns-3's defaults."""
        default = vars(PowerControl())
        return {k: v for k, v in vars(self).items() if k != "enabled" and v != default[k]}


@dataclass
class Radio:
    bandwidth_rbs: int = 25
    dl_earfcn: int | None = None  # exactly one of dl_earfcn / dl_frequency_mhz; default 100
    dl_frequency_mhz: float | None = None
    enb_tx_power_dbm: float = 30.0
    ue_tx_power_dbm: float = 23.0
    enb_noise_figure_db: float = 5.0
    ue_noise_figure_db: float = 9.0
    scheduler: str = "pf"
    rlc_mode: str = "UM"
    rlc_max_tx_buffer_bytes: int = 8 * 1024 * 1024
    # One cell at enb_position (default (0, 0, 25)), or several at `cells`; enb_position then
    # resolves to the first cell's antenna.
    enb_position: tuple[float, float, float] | None = None
    cells: list[Cell] = field(default_factory=list)
    layout: Layout | None = None  # resolves to cells
    rlf_detection: bool = False  # ns-3 radio link failure; with one cell an RLF UE never recovers
    # ns-3's LteRlcAm cannot re-segment an AMD PDU for retransmission (TS 36.322 5.2.1 is not
    # implemented): a PDU built for a big grant waits for an equally big grant, and when the channel
    # has since shrunk the grants (far UE, deep fade) the bearer stalls for good. true sends the
    # retransmission in whatever grant comes (ns-3 attribute TxOpportunityForRetxAlwaysBigEnough):
    # the MAC PDU may then exceed the TB size, a small optimism that only affects retransmissions.
    rlc_am_retx_always_fits: bool = True
    harq: bool = True  # MAC HARQ (scheduler attribute HarqEnabled); false: a failed TB is gone at once
    handover: Handover = field(default_factory=Handover)
    power_control: PowerControl = field(default_factory=PowerControl)
    # ideal: RRC messages are direct calls between eNB and UE (ns-3's default, LteHelper UseIdealRrc);
    # real: they are encoded and carried over the air on the signalling bearers, so a handover's
    # messages can be delayed or lost like any others
    rrc: str = "ideal"


@dataclass
class LogDistance:
    exponent: float = 3.0
    reference_loss_db: float = 46.6777  # at 1 m, 2.1 GHz (ns-3 default)


@dataclass
class OkumuraHata:
    environment: str = "urban"  # urban | suburban | open
    city_size: str = "large"  # small | medium | large


@dataclass
class Fading:
    model: str = "none"
    speed_kmh: float = 3.0
    trace_length_s: float = 10.0
    window_s: float = 0.5


@dataclass
class Channel:
    propagation: str = "log_distance"
    shadowing: bool = False
    log_distance: LogDistance = field(default_factory=LogDistance)
    okumura_hata: OkumuraHata = field(default_factory=OkumuraHata)
    fading: Fading = field(default_factory=Fading)


@dataclass
class Scenario:
    name: str = "lte"
    duration_s: float = 10.0
    seed: int = 1
    run: int = 1
    radio: Radio = field(default_factory=Radio)
    channel: Channel = field(default_factory=Channel)
    edge: Edge = field(default_factory=Edge)
    transfer: Transfer = field(default_factory=Transfer)
    ue_groups: list[UeGroup] = field(default_factory=lambda: [UeGroup()])
    extra: dict[str, Any] = field(default_factory=dict)  # allowed extra top-level sections, as given

    @property
    def ue_count(self) -> int:
        return sum(g.count for g in self.ue_groups)



# ----------------------------------------------------------------------------- sections
def _check_cell(path: str, c: Cell) -> None:
    if c.position is None:
        raise ConfigError(f"{path}.position: required ([x, y], m)")


_TX_POWER = Fn(lambda path, v: None if v is None else num(path, v, -30, 60), "number",
               "-30 <= x <= 60; left out: radio.enb_tx_power_dbm", unit="dBm")
_BEAMWIDTH = Num(1, 360, unit="deg")
_MAX_ATTENUATION = Num(0, 100, unit="dB")

_cell = Section(Cell, {
    "position": Fn(lambda path, v: vec(path, v, 2), "list of 2 numbers",
                   "required; each -1000000 <= x <= 1000000", unit="m"),
    "height_m": Num(0, 1000, lo_open=True, unit="m"),
    "tx_power_dbm": _TX_POWER,
    "azimuth_deg": Optional(Num(-360, 360, unit="deg")),
    "beamwidth_deg": _BEAMWIDTH,
    "max_attenuation_db": _MAX_ATTENUATION,
}, check=_check_cell)


def _check_layout(path: str, lo: Layout) -> None:
    if lo.kind == "line" and lo.rings != Layout.rings:
        raise ConfigError(f"{path}.rings: only for kind hexagonal (kind line takes sites)")
    if lo.kind == "hexagonal" and lo.sites != Layout.sites:
        raise ConfigError(f"{path}.sites: only for kind line (kind hexagonal takes rings)")


_layout = Section(Layout, {
    "kind": Choice(LAYOUT_KINDS),
    "inter_site_distance_m": Num(CELL_MIN_SEPARATION_M, 1e5, unit="m"),
    "rings": Int(0, 4),
    "sites": Int(1, MAX_CELLS),
    "sectors": Choice((1, 3)),
    "center": Vec(2, unit="m"),
    "height_m": Num(0, 1000, lo_open=True, unit="m"),
    "tx_power_dbm": _TX_POWER,
    "beamwidth_deg": _BEAMWIDTH,
    "max_attenuation_db": _MAX_ATTENUATION,
}, check=_check_layout)


def _check_cells(path: str, r: Radio) -> None:
    """Several cells (given, or from a layout): not beside enb_position, no two at one site unless
    they are sectors facing different ways; enb_position becomes the first's."""
    if r.layout is not None:
        if r.cells:
            raise ConfigError(f"{path}.layout: give layout or cells, not both")
        r.cells = r.layout.cells()
        if len(r.cells) > MAX_CELLS:
            raise ConfigError(f"{path}.layout: gives {len(r.cells)} cells, at most {MAX_CELLS} are allowed "
                              "(fewer rings or sites, or sectors 1)")
    if not r.cells:
        if r.enb_position is None:
            r.enb_position = (0.0, 0.0, 25.0)
        return
    if r.enb_position is not None:
        raise ConfigError(f"{path}.enb_position: give enb_position (one cell) or cells, not both")
    for i, c in enumerate(r.cells):
        for j in range(i):
            o = r.cells[j]
            sectors = c.azimuth_deg is not None and o.azimuth_deg is not None and c.azimuth_deg != o.azimuth_deg
            if math.hypot(c.position[0] - o.position[0], c.position[1] - o.position[1]) < CELL_MIN_SEPARATION_M \
                    and not sectors:
                raise ConfigError(f"{path}.cells[{i}].position: {list(c.position)} overlaps {path}.cells[{j}] at "
                                  f"{list(o.position)} (cells must be at least {CELL_MIN_SEPARATION_M:g} m apart, "
                                  "or be sectors of one site with different azimuth_deg)")
    r.enb_position = r.cells[0].antenna()


def _check_handover(path: str, h: Handover) -> None:
    """Only the chosen algorithm's attributes may be given; the others resolve to ns-3's defaults."""
    own = HANDOVER_ATTRIBUTES[h.algorithm]
    for name in (name for attributes in HANDOVER_ATTRIBUTES.values() for name in attributes):
        if getattr(h, name) is None:
            setattr(h, name, own.get(name))
        elif name not in own:
            raise ConfigError(f"{path}.{name}: not an attribute of algorithm {h.algorithm} "
                              f"(its attributes: {fmt_allowed(own) if own else 'none'})")
    if h.Hysteresis is not None and h.Hysteresis * 2 != round(h.Hysteresis * 2):
        raise ConfigError(f"{path}.Hysteresis: {h.Hysteresis} is not a multiple of 0.5 dB (TS 36.331 steps)")


_handover = Section(Handover, {
    "algorithm": Choice(HANDOVER_ALGORITHMS),
    "Hysteresis": Optional(Num(0, 15, unit="dB")),
    "TimeToTrigger": Optional(Choice(TIME_TO_TRIGGER_MS, unit="ms")),
    "ServingCellThreshold": Optional(Int(0, 34)),
    "NeighbourCellOffset": Optional(Int(0, 34)),
}, check=_check_handover)


def _check_radio(path: str, r: Radio) -> None:
    """Resolves the carrier: exactly one of dl_earfcn / dl_frequency_mhz, default EARFCN 100; and
    the cells (_check_cells)."""
    _check_cells(path, r)
    if r.dl_earfcn is not None and r.dl_frequency_mhz is not None:
        raise ConfigError(f"{path}: give dl_earfcn or dl_frequency_mhz, not both")
    if r.dl_frequency_mhz is not None:
        r.dl_earfcn = lte_bands.earfcn_from_mhz(f"{path}.dl_frequency_mhz", r.dl_frequency_mhz)
    elif r.dl_earfcn is None:
        r.dl_earfcn = 100
    lte_bands.check_earfcn(f"{path}.dl_earfcn", r.dl_earfcn)


_radio = Section(Radio, {
    "bandwidth_rbs": Choice(BANDWIDTHS),
    "dl_earfcn": Int(0, 17999),
    "dl_frequency_mhz": Num(0, 100_000, lo_open=True),
    "enb_tx_power_dbm": Num(-30, 60),
    "ue_tx_power_dbm": Num(-40, 33),
    "enb_noise_figure_db": Num(0, 20),
    "ue_noise_figure_db": Num(0, 20),
    "scheduler": Choice(SCHEDULERS),
    "rlc_mode": Choice(("UM", "AM")),
    "rlc_max_tx_buffer_bytes": Int(10 * 1024, 2**31 - 1),
    "enb_position": Fn(lambda path, v: None if v is None else vec(path, v, 3), "list of 3 numbers",
                       "each -1000000 <= x <= 1000000; left out: [0, 0, 25], or with cells the first cell's "
                       "antenna", unit="m"),
    "cells": ListOf(_cell, MAX_CELLS),
    "layout": Optional(_layout),
    "rlf_detection": Bool(),
    "rlc_am_retx_always_fits": Bool(),
    "harq": Bool(),
    "handover": _handover,
    "power_control": Section(PowerControl, {
        "enabled": Bool(),
        "ClosedLoop": Bool(),
        "AccumulationEnabled": Bool(),
        "PoNominalPusch": Int(-126, 24, unit="dBm"),
        "Alpha": Choice((0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)),
    }),
    "rrc": Choice(("ideal", "real")),
}, check=_check_radio)


def dl_frequency_hz(radio: Radio) -> float:
    return lte_bands.dl_frequency_hz(radio.dl_earfcn)


def _check_channel(path: str, c: Channel) -> None:
    if c.shadowing and PROPAGATION_MODELS[c.propagation][1] is None:
        gpp = [k for k, v in PROPAGATION_MODELS.items() if v[1]]
        raise ConfigError(f"{path}.shadowing: true is only supported with propagation {fmt_allowed(gpp)}"
                          f" (got {c.propagation!r})")
    if c.fading.window_s >= c.fading.trace_length_s:
        raise ConfigError(f"{path}.fading.window_s: {c.fading.window_s} must be < trace_length_s")


_channel = Section(Channel, {
    "propagation": Choice(PROPAGATION_MODELS),
    "shadowing": Bool(),
    "log_distance": Section(LogDistance, {
        "exponent": Num(1.0, 8.0),
        "reference_loss_db": Num(0, 200),
    }),
    "okumura_hata": Section(OkumuraHata, {
        "environment": Choice(("urban", "suburban", "open")),
        "city_size": Choice(("small", "medium", "large")),
    }),
    "fading": Section(Fading, {
        "model": Choice(FADING_MODELS),
        "speed_kmh": Num(0, 500),
        "trace_length_s": Num(1, 60),
        "window_s": Num(0.01, 30),
    }),
}, check=_check_channel)

# The whole LTE cell scenario (its extra sections aside), as load_scenario checks it.
def _default_radio(path: str, sc: Scenario) -> None:
    if sc.radio.dl_earfcn is None:  # no radio section: the default one still resolves its carrier
        sc.radio = _radio("radio", {})


SCHEMA = Section(Scenario, {**CELL_TOP, "radio": _radio, "channel": _channel}, check=_default_radio)


def load_scenario(source: str | Path | Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                  extra_sections: Iterable[str] = ()) -> Scenario:
    """Loads and validates an LTE cell scenario.

    Args:
        source: path of a YAML file, or an already parsed mapping.
        overrides: dotted key -> value applied before validation, e.g. {"radio.scheduler": "rr"}
            (cosim.config.checks.apply_overrides).
        extra_sections: top-level keys other packages own (e.g. "model", "requests"); they are
            kept as given in ``Scenario.extra`` and not checked here.

    Raises:
        ConfigError: any bad, unknown or missing value (message: key path, value, allowed values).
    """
    sc = load_cell(source, overrides, extra_sections, SCHEMA)
    _check_um_forwarding(sc)
    return sc


def _check_um_forwarding(sc: Scenario) -> None:
    """Refuses RLC UM with handover where downlink data flows. ns-3.44's source eNB forwards the
    PDUs waiting in a bearer's RLC UM buffer over X2 as if they were IP packets; the UE then
    aborts the simulation ("LteNetDevice::Receive - Unknown IP type") once downlink data was
    queued at a handover (measured: a downlink probe every 100 ms, first handover). RLC AM
    forwards correctly, and an uplink-only UM scenario never has such data. A split session's
    replies (a few bytes, rarely queued) are let through: docs/scenarios.md says the risk."""
    r = sc.radio
    if r.handover.algorithm == "none" or r.rlc_mode != "UM":
        return
    downlink = [f"ue_groups[{i}].traffic.direction: {g.traffic.direction}" for i, g in enumerate(sc.ue_groups)
                if g.traffic.kind != "none" and g.traffic.direction != "ul"]
    probes = sc.extra.get("probes") or []
    downlink += ["probes: a downlink probe" for p in probes if isinstance(p, Mapping) and p.get("direction", "ul") != "ul"]
    if downlink:
        raise ConfigError(f"radio.rlc_mode: UM with radio.handover and downlink data ({downlink[0]}) is refused: "
                          "ns-3.44 forwards RLC UM buffers over X2 malformed at a handover and the UE aborts "
                          "(use rlc_mode AM, or uplink-only traffic)")



def resolved_dict(sc: Scenario) -> dict[str, Any]:
    """For saving: every setting after defaults (it loads back as the same scenario) and, under
    ``derived``, what the settings resolve to (UE positions, uplink EARFCN, frequency)."""
    # dl_earfcn holds dl_frequency_mhz once resolved, and a file gives only one of the two
    # with cells, enb_position is the first cell's (resolved), and a file gives only one of the two
    # a layout's cells are derived from it
    r = sc.radio
    unsaved = ("dl_frequency_mhz", "enb_position") if r.cells else ("dl_frequency_mhz", "cells")
    derived = {"ul_earfcn": r.dl_earfcn + lte_bands.UL_OFFSET, "dl_frequency_mhz": dl_frequency_hz(r) / 1e6}
    if r.layout is not None:
        unsaved += ("cells",)
        derived["cells"] = settings([dataclasses.asdict(c) for c in r.cells])
    else:
        unsaved += ("layout",)
    return resolved_cell(sc, derived, unsaved)
