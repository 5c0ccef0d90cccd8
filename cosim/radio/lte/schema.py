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
            enb_position, rlf_detection, rlc_am_retx_always_fits, harq}
    channel: {propagation, shadowing, log_distance{exponent, reference_loss_db},
              okumura_hata{environment, city_size}, fading{model, speed_kmh, trace_length_s,
              window_s}}
    edge: {backhaul_delay_ms, backhaul_rate_gbps}
    transfer: {payload_bytes, loss_timeout_ms}
    ue_groups: [{count, height_m, placement{...}, mobility{...}, traffic{...}}]

Shared checks (types, bounds, strict YAML, overrides) are in ``cosim.config.checks``; band arithmetic in
``cosim.radio.lte.bands``; the text the ns-3 program reads is written by ``cosim.radio.lte.program_config``.

Timing note: UEs attach at t = 0 (ideal RRC); their data bearer is up after about 20-60 ms.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from cosim.radio.lte import bands as lte_bands
from cosim.config.checks import (COMMON_TOP, DERIVED, ConfigError, Transfer, apply_overrides, boolean, choice, deepcopy,
                          drop_derived, fmt_allowed, integer, list_of, load_yaml, num, section, settings, string, vec)

MAX_UES = 64

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
MOBILITY_KINDS = (
    "constant_position",
    "constant_velocity",
    "random_walk",
    "random_waypoint",
    "gauss_markov",
    "ns2",
)
PLACEMENT_KINDS = ("list", "disc", "rectangle")
TRAFFIC_KINDS = ("none", "cbr", "full_buffer")
DIRECTIONS = ("ul", "dl", "both")


# ----------------------------------------------------------------------------- dataclasses
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
    enb_position: tuple[float, float, float] = (0.0, 0.0, 25.0)
    rlf_detection: bool = False  # ns-3 radio link failure; with one cell an RLF UE never recovers
    # ns-3's LteRlcAm cannot re-segment an AMD PDU for retransmission (TS 36.322 5.2.1 is not
    # implemented): a PDU built for a big grant waits for an equally big grant, and when the channel
    # has since shrunk the grants (far UE, deep fade) the bearer stalls for good. true sends the
    # retransmission in whatever grant comes (ns-3 attribute TxOpportunityForRetxAlwaysBigEnough):
    # the MAC PDU may then exceed the TB size, a small optimism that only affects retransmissions.
    rlc_am_retx_always_fits: bool = True
    harq: bool = True  # MAC HARQ (scheduler attribute HarqEnabled); false: a failed TB is gone at once


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
class Edge:
    backhaul_delay_ms: float = 1.0
    backhaul_rate_gbps: float = 100.0


@dataclass
class Placement:
    kind: str = "disc"
    positions: list[tuple[float, float]] = field(default_factory=list)  # list
    center: tuple[float, float] = (0.0, 0.0)  # disc
    radius_min_m: float = 10.0
    radius_max_m: float = 200.0
    x_range: tuple[float, float] = (-100.0, 100.0)  # rectangle
    y_range: tuple[float, float] = (-100.0, 100.0)


@dataclass
class Mobility:
    kind: str = "constant_position"
    speed_mps: float = 1.0  # constant_velocity
    heading_deg: float = 0.0  # constant_velocity: 0 = +x, 90 = +y
    speed_min_mps: float = 0.5  # random_walk, random_waypoint
    speed_max_mps: float = 1.5
    walk_mode: str = "time"  # random_walk: time | distance
    walk_step: float = 2.0  # random_walk: s (time) or m (distance) between direction changes
    pause_s: float = 0.0  # random_waypoint
    mean_speed_mps: float = 1.0  # gauss_markov
    alpha: float = 0.85  # gauss_markov memory, 0..1
    time_step_s: float = 0.5  # gauss_markov update interval
    bounds: tuple[float, float, float, float] = (-500.0, 500.0, -500.0, 500.0)  # xmin xmax ymin ymax
    file: str = ""  # ns2: trace file; group UE i follows $node_(i)


@dataclass
class Traffic:
    kind: str = "none"
    direction: str = "ul"
    rate_bps: float = 1e6  # cbr
    packet_bytes: int = 1000
    start_s: float = 0.2


@dataclass
class UeGroup:
    count: int = 1
    height_m: float = 1.5
    placement: Placement = field(default_factory=Placement)
    mobility: Mobility = field(default_factory=Mobility)
    traffic: Traffic = field(default_factory=Traffic)


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
def _radio(path: str, raw: Any) -> Radio:
    r = section(path, raw, Radio, {
        "bandwidth_rbs": lambda p, v: choice(p, v, BANDWIDTHS),
        "dl_earfcn": lambda p, v: integer(p, v, 0, 17999),
        "dl_frequency_mhz": lambda p, v: num(p, v, 0, 100_000, lo_open=True),
        "enb_tx_power_dbm": lambda p, v: num(p, v, -30, 60),
        "ue_tx_power_dbm": lambda p, v: num(p, v, -40, 33),
        "enb_noise_figure_db": lambda p, v: num(p, v, 0, 20),
        "ue_noise_figure_db": lambda p, v: num(p, v, 0, 20),
        "scheduler": lambda p, v: choice(p, v, SCHEDULERS),
        "rlc_mode": lambda p, v: choice(p, v, ("UM", "AM")),
        "rlc_max_tx_buffer_bytes": lambda p, v: integer(p, v, 10 * 1024, 2**31 - 1),
        "enb_position": lambda p, v: vec(p, v, 3),
        "rlf_detection": boolean,
        "rlc_am_retx_always_fits": boolean,
        "harq": boolean,
    })
    if r.dl_earfcn is not None and r.dl_frequency_mhz is not None:
        raise ConfigError(f"{path}: give dl_earfcn or dl_frequency_mhz, not both")
    if r.dl_frequency_mhz is not None:
        r.dl_earfcn = lte_bands.earfcn_from_mhz(f"{path}.dl_frequency_mhz", r.dl_frequency_mhz)
    elif r.dl_earfcn is None:
        r.dl_earfcn = 100
    lte_bands.check_earfcn(f"{path}.dl_earfcn", r.dl_earfcn)
    return r


def dl_frequency_hz(radio: Radio) -> float:
    return lte_bands.dl_frequency_hz(radio.dl_earfcn)


def _channel(path: str, raw: Any) -> Channel:
    c = section(path, raw, Channel, {
        "propagation": lambda p, v: choice(p, v, PROPAGATION_MODELS),
        "shadowing": boolean,
        "log_distance": lambda p, v: section(p, v, LogDistance, {
            "exponent": lambda p2, v2: num(p2, v2, 1.0, 8.0),
            "reference_loss_db": lambda p2, v2: num(p2, v2, 0, 200),
        }),
        "okumura_hata": lambda p, v: section(p, v, OkumuraHata, {
            "environment": lambda p2, v2: choice(p2, v2, ("urban", "suburban", "open")),
            "city_size": lambda p2, v2: choice(p2, v2, ("small", "medium", "large")),
        }),
        "fading": lambda p, v: section(p, v, Fading, {
            "model": lambda p2, v2: choice(p2, v2, FADING_MODELS),
            "speed_kmh": lambda p2, v2: num(p2, v2, 0, 500),
            "trace_length_s": lambda p2, v2: num(p2, v2, 1, 60),
            "window_s": lambda p2, v2: num(p2, v2, 0.01, 30),
        }),
    })
    if c.shadowing and PROPAGATION_MODELS[c.propagation][1] is None:
        gpp = [k for k, v in PROPAGATION_MODELS.items() if v[1]]
        raise ConfigError(f"{path}.shadowing: true is only supported with propagation {fmt_allowed(gpp)}"
                          f" (got {c.propagation!r})")
    if c.fading.window_s >= c.fading.trace_length_s:
        raise ConfigError(f"{path}.fading.window_s: {c.fading.window_s} must be < trace_length_s")
    return c


def _placement(path: str, raw: Any) -> Placement:
    pl = section(path, raw, Placement, {
        "kind": lambda p, v: choice(p, v, PLACEMENT_KINDS),
        "positions": lambda p, v: [vec(f"{p}[{i}]", x, (2, 3)) for i, x in enumerate(list_of(p, v, MAX_UES))],
        "center": lambda p, v: vec(p, v, 2),
        "radius_min_m": lambda p, v: num(p, v, 0, 1e5),
        "radius_max_m": lambda p, v: num(p, v, 0, 1e5, lo_open=True),
        "x_range": lambda p, v: vec(p, v, 2),
        "y_range": lambda p, v: vec(p, v, 2),
    })
    if pl.radius_min_m > pl.radius_max_m:
        raise ConfigError(f"{path}.radius_min_m: {pl.radius_min_m} must be <= radius_max_m")
    for key in ("x_range", "y_range"):
        lo, hi = getattr(pl, key)
        if lo > hi:
            raise ConfigError(f"{path}.{key}: {[lo, hi]} must be [low, high]")
    return pl


def _mobility(path: str, raw: Any) -> Mobility:
    m = section(path, raw, Mobility, {
        "kind": lambda p, v: choice(p, v, MOBILITY_KINDS),
        "speed_mps": lambda p, v: num(p, v, 0, 150),
        "heading_deg": lambda p, v: num(p, v, -360, 360),
        "speed_min_mps": lambda p, v: num(p, v, 0, 150, lo_open=True),
        "speed_max_mps": lambda p, v: num(p, v, 0, 150, lo_open=True),
        "walk_mode": lambda p, v: choice(p, v, ("time", "distance")),
        "walk_step": lambda p, v: num(p, v, 0, 1e5, lo_open=True),
        "pause_s": lambda p, v: num(p, v, 0, 1e6),
        "mean_speed_mps": lambda p, v: num(p, v, 0, 150),
        "alpha": lambda p, v: num(p, v, 0, 1),
        "time_step_s": lambda p, v: num(p, v, 0.001, 1e4),
        "bounds": lambda p, v: vec(p, v, 4),
        "file": string,
    })
    if m.speed_min_mps > m.speed_max_mps:
        raise ConfigError(f"{path}.speed_min_mps: {m.speed_min_mps} must be <= speed_max_mps")
    if m.bounds[0] >= m.bounds[1] or m.bounds[2] >= m.bounds[3]:
        raise ConfigError(f"{path}.bounds: {list(m.bounds)} must be [xmin, xmax, ymin, ymax]")
    if m.kind == "ns2":
        if not m.file:
            raise ConfigError(f"{path}.file: required for kind ns2")
        if not Path(m.file).is_file():
            raise ConfigError(f"{path}.file: ns-2 trace file not found: {m.file}")
        m.file = str(Path(m.file).resolve())
        if any(c.isspace() for c in m.file):
            raise ConfigError(f"{path}.file: path must not contain spaces: {m.file}")
    return m


def _traffic(path: str, raw: Any) -> Traffic:
    return section(path, raw, Traffic, {
        "kind": lambda p, v: choice(p, v, TRAFFIC_KINDS),
        "direction": lambda p, v: choice(p, v, DIRECTIONS),
        "rate_bps": lambda p, v: num(p, v, 0, 1e10, lo_open=True),
        "packet_bytes": lambda p, v: integer(p, v, 12, 1400),
        "start_s": lambda p, v: num(p, v, 0, 1e6),
    })


def _group(path: str, raw: Any) -> UeGroup:
    g = section(path, raw, UeGroup, {
        "count": lambda p, v: integer(p, v, 1, MAX_UES),
        "height_m": lambda p, v: num(p, v, 0.1, 300),
        "placement": _placement,
        "mobility": _mobility,
        "traffic": _traffic,
    })
    if g.placement.kind == "list" and len(g.placement.positions) != g.count:
        raise ConfigError(f"{path}.placement.positions: has {len(g.placement.positions)} entries, count is {g.count}")
    return g


TOP = ("name", "duration_s", "seed", "run", "radio", "channel", "edge", "transfer", "ue_groups")


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
    raw = deepcopy(source) if isinstance(source, Mapping) else load_yaml(source, "scenario")
    drop_derived(apply_overrides(raw, overrides))
    extra_sections = set(extra_sections)
    extra = {k: raw.pop(k) for k in list(raw) if k in extra_sections and k not in TOP}
    sc = section("", raw, Scenario, {
        **COMMON_TOP,
        "radio": _radio,
        "channel": _channel,
        "edge": lambda p, v: section(p, v, Edge, {
            "backhaul_delay_ms": lambda p2, v2: num(p2, v2, 0, 10_000),
            "backhaul_rate_gbps": lambda p2, v2: num(p2, v2, 0, 1000, lo_open=True),
        }),
        "ue_groups": lambda p, v: [_group(f"{p}[{i}]", g) for i, g in enumerate(list_of(p, v, MAX_UES))],
    })
    if "radio" not in raw:
        sc.radio = _radio("radio", {})
    if not sc.ue_groups:
        raise ConfigError("ue_groups: at least one group is required")
    if sc.ue_count > MAX_UES:
        raise ConfigError(f"ue_groups: {sc.ue_count} UEs in total, at most {MAX_UES} are allowed")
    _check_positions(sc)
    sc.extra = extra
    return sc


# ----------------------------------------------------------------------------- resolution
def positions(sc: Scenario) -> list[list[tuple[float, float, float]]]:
    """Initial UE positions per group, drawn with a generator seeded by the scenario seed."""
    rng = np.random.default_rng([sc.seed, sc.run, 0x4C54])
    out = []
    for g in sc.ue_groups:
        pl, pos = g.placement, []
        for i in range(g.count):
            if pl.kind == "list":
                p = pl.positions[i]
                pos.append((p[0], p[1], p[2] if len(p) == 3 else g.height_m))
            elif pl.kind == "disc":
                r = math.sqrt(rng.uniform(pl.radius_min_m**2, pl.radius_max_m**2))
                a = rng.uniform(0, 2 * math.pi)
                pos.append((pl.center[0] + r * math.cos(a), pl.center[1] + r * math.sin(a), g.height_m))
            else:
                pos.append((rng.uniform(*pl.x_range), rng.uniform(*pl.y_range), g.height_m))
        out.append([(round(x, 3), round(y, 3), round(z, 3)) for x, y, z in pos])
    return out


def _check_positions(sc: Scenario) -> None:
    for gi, (g, pos) in enumerate(zip(sc.ue_groups, positions(sc))):
        if g.mobility.kind in ("random_walk", "random_waypoint", "gauss_markov"):
            xmin, xmax, ymin, ymax = g.mobility.bounds
            for x, y, _ in pos:
                if not (xmin <= x <= xmax and ymin <= y <= ymax):
                    raise ConfigError(
                        f"ue_groups[{gi}].mobility.bounds: {list(g.mobility.bounds)} does not contain"
                        f" the initial position ({x}, {y}); widen the bounds or change the placement")


def resolved_dict(sc: Scenario) -> dict[str, Any]:
    """For saving: every setting after defaults (it loads back as the same scenario) and, under
    ``derived``, what the settings resolve to (UE positions, uplink EARFCN, frequency)."""
    d = dataclasses.asdict(sc)
    extra = d.pop("extra")
    d["radio"].pop("dl_frequency_mhz")  # dl_earfcn holds it, and a file gives only one of the two
    d = settings(d)
    d.update(extra)
    d[DERIVED] = {"radio": {"ul_earfcn": sc.radio.dl_earfcn + lte_bands.UL_OFFSET,
                            "dl_frequency_mhz": dl_frequency_hz(sc.radio) / 1e6},
                  "ue_groups": [{"initial_positions": [list(p) for p in pos]} for pos in positions(sc)]}
    return d
