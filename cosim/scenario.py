"""LTE cell scenario: YAML schema, validation, and the config file the ns-3 program reads.

The schema is code (dataclasses below); a YAML file only chooses values. ``load_scenario``
checks every field and raises :class:`ConfigError` naming the full key path, the bad value and
what is allowed, e.g. ``radio.bandwidth_rbs: 30 is not one of 6, 15, 25, 50, 75, 100``.

Top-level keys::

    name: str                      run name
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

Timing note: UEs attach at t = 0 (ideal RRC); their data bearer is up after about 20-60 ms.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = [
    "ConfigError",
    "Scenario",
    "load_scenario",
    "to_program_config",
    "resolved_dict",
    "SCHEDULERS",
    "PROPAGATION_MODELS",
]


class ConfigError(ValueError):
    """A scenario value is missing, unknown or out of range; the message names the key path."""


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
# Downlink EARFCN bands ns-3 knows: band -> (F_DL_low MHz, N_offs_DL, last EARFCN); UL = DL + 18000.
_BANDS = {
    1: (2110.0, 0, 599),
    3: (1805.0, 1200, 1949),
    5: (869.0, 2400, 2649),
    7: (2620.0, 2750, 3449),
    8: (925.0, 3450, 3799),
    20: (791.0, 6150, 6449),
}


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
class Transfer:
    payload_bytes: int = 1000
    loss_timeout_ms: float = 1000.0


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


# ----------------------------------------------------------------------------- parsing helpers
def _fmt_allowed(allowed: Iterable[Any]) -> str:
    return ", ".join(str(a) for a in allowed)


def _num(path: str, v: Any, lo: float | None = None, hi: float | None = None,
         lo_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(f"{path}: {v!r} is not a number")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ConfigError(f"{path}: {v!r} must be {'>' if lo_open else '>='} {lo}")
    if hi is not None and v > hi:
        raise ConfigError(f"{path}: {v!r} must be <= {hi}")
    return float(v)


def _int(path: str, v: Any, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(f"{path}: {v!r} is not an integer")
    if lo is not None and v < lo:
        raise ConfigError(f"{path}: {v!r} must be >= {lo}")
    if hi is not None and v > hi:
        raise ConfigError(f"{path}: {v!r} must be <= {hi}")
    return v


def _choice(path: str, v: Any, allowed: Iterable[Any]) -> Any:
    allowed = tuple(allowed)
    if isinstance(v, bool) or v not in allowed:
        raise ConfigError(f"{path}: {v!r} is not one of {_fmt_allowed(allowed)}")
    return v


def _bool(path: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{path}: {v!r} is not a boolean (true or false)")
    return v


def _str(path: str, v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise ConfigError(f"{path}: {v!r} is not a non-empty string")
    return v


def _vec(path: str, v: Any, n: int | tuple[int, ...]) -> tuple[float, ...]:
    sizes = (n,) if isinstance(n, int) else n
    if not isinstance(v, (list, tuple)) or len(v) not in sizes:
        raise ConfigError(f"{path}: {v!r} is not a list of {' or '.join(map(str, sizes))} numbers")
    return tuple(_num(f"{path}[{i}]", x) for i, x in enumerate(v))


def _section(path: str, raw: Any, cls: type, parsers: Mapping[str, Any]) -> Any:
    """Builds dataclass `cls` from mapping `raw`; unknown keys are errors."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path or 'scenario'}: {raw!r} is not a mapping")
    names = [f.name for f in dataclasses.fields(cls) if f.name in parsers]
    for key in raw:
        if key not in parsers:
            where = f"{path}.{key}" if path else str(key)
            raise ConfigError(f"{where}: unknown key (allowed: {_fmt_allowed(names)})")
    obj = cls()
    for key, value in raw.items():
        setattr(obj, key, parsers[key](f"{path}.{key}" if path else key, value))
    return obj


# ----------------------------------------------------------------------------- sections
def _radio(path: str, raw: Any) -> Radio:
    r = _section(path, raw, Radio, {
        "bandwidth_rbs": lambda p, v: _choice(p, v, BANDWIDTHS),
        "dl_earfcn": lambda p, v: _int(p, v, 0, 17999),
        "dl_frequency_mhz": lambda p, v: _num(p, v, 0, lo_open=True),
        "enb_tx_power_dbm": lambda p, v: _num(p, v, -30, 60),
        "ue_tx_power_dbm": lambda p, v: _num(p, v, -40, 33),
        "enb_noise_figure_db": lambda p, v: _num(p, v, 0, 20),
        "ue_noise_figure_db": lambda p, v: _num(p, v, 0, 20),
        "scheduler": lambda p, v: _choice(p, v, SCHEDULERS),
        "rlc_mode": lambda p, v: _choice(p, v, ("UM", "AM")),
        "rlc_max_tx_buffer_bytes": lambda p, v: _int(p, v, 10 * 1024, 2**31 - 1),
        "enb_position": lambda p, v: _vec(p, v, 3),
        "rlf_detection": _bool,
        "rlc_am_retx_always_fits": _bool,
        "harq": _bool,
    })
    if r.dl_earfcn is not None and r.dl_frequency_mhz is not None:
        raise ConfigError(f"{path}: give dl_earfcn or dl_frequency_mhz, not both")
    if r.dl_frequency_mhz is not None:
        r.dl_earfcn = _earfcn_from_mhz(f"{path}.dl_frequency_mhz", r.dl_frequency_mhz, r.bandwidth_rbs)
    elif r.dl_earfcn is None:
        r.dl_earfcn = 100
    if _band_of(r.dl_earfcn) is None:
        bands = "; ".join(f"band {b}: {lo}..{hi}" for b, (_, lo, hi) in _BANDS.items())
        raise ConfigError(f"{path}.dl_earfcn: {r.dl_earfcn} is not in a supported band ({bands})")
    return r


def _band_of(earfcn: int) -> int | None:
    for band, (_, lo, hi) in _BANDS.items():
        if lo <= earfcn <= hi:
            return band
    return None


def _earfcn_from_mhz(path: str, mhz: float, rbs: int) -> int:
    for _, (f_low, n_offs, last) in _BANDS.items():
        earfcn = n_offs + round((mhz - f_low) * 10)
        if n_offs <= earfcn <= last:
            return earfcn
    allowed = "; ".join(
        f"{f_low:g}-{f_low + (last - n_offs) / 10:g}" for f_low, n_offs, last in _BANDS.values()
    )
    raise ConfigError(f"{path}: {mhz!r} MHz is in no supported band (MHz ranges: {allowed})")


def dl_frequency_hz(radio: Radio) -> float:
    band = _band_of(radio.dl_earfcn)
    f_low, n_offs, _ = _BANDS[band]
    return (f_low + 0.1 * (radio.dl_earfcn - n_offs)) * 1e6


def _channel(path: str, raw: Any) -> Channel:
    c = _section(path, raw, Channel, {
        "propagation": lambda p, v: _choice(p, v, PROPAGATION_MODELS),
        "shadowing": _bool,
        "log_distance": lambda p, v: _section(p, v, LogDistance, {
            "exponent": lambda p2, v2: _num(p2, v2, 1.0, 8.0),
            "reference_loss_db": lambda p2, v2: _num(p2, v2, 0, 200),
        }),
        "okumura_hata": lambda p, v: _section(p, v, OkumuraHata, {
            "environment": lambda p2, v2: _choice(p2, v2, ("urban", "suburban", "open")),
            "city_size": lambda p2, v2: _choice(p2, v2, ("small", "medium", "large")),
        }),
        "fading": lambda p, v: _section(p, v, Fading, {
            "model": lambda p2, v2: _choice(p2, v2, FADING_MODELS),
            "speed_kmh": lambda p2, v2: _num(p2, v2, 0, 500),
            "trace_length_s": lambda p2, v2: _num(p2, v2, 1, 60),
            "window_s": lambda p2, v2: _num(p2, v2, 0.01, 30),
        }),
    })
    if c.shadowing and PROPAGATION_MODELS[c.propagation][1] is None:
        gpp = [k for k, v in PROPAGATION_MODELS.items() if v[1]]
        raise ConfigError(
            f"{path}.shadowing: true is only supported with propagation {_fmt_allowed(gpp)}"
            f" (got {c.propagation!r})"
        )
    if c.fading.window_s >= c.fading.trace_length_s:
        raise ConfigError(f"{path}.fading.window_s: {c.fading.window_s} must be < trace_length_s")
    return c


def _placement(path: str, raw: Any) -> Placement:
    pl = _section(path, raw, Placement, {
        "kind": lambda p, v: _choice(p, v, PLACEMENT_KINDS),
        "positions": lambda p, v: [_vec(f"{p}[{i}]", x, (2, 3)) for i, x in enumerate(_list(p, v))],
        "center": lambda p, v: _vec(p, v, 2),
        "radius_min_m": lambda p, v: _num(p, v, 0),
        "radius_max_m": lambda p, v: _num(p, v, 0, lo_open=True),
        "x_range": lambda p, v: _vec(p, v, 2),
        "y_range": lambda p, v: _vec(p, v, 2),
    })
    if pl.radius_min_m > pl.radius_max_m:
        raise ConfigError(f"{path}.radius_min_m: {pl.radius_min_m} must be <= radius_max_m")
    for key in ("x_range", "y_range"):
        lo, hi = getattr(pl, key)
        if lo > hi:
            raise ConfigError(f"{path}.{key}: {[lo, hi]} must be [low, high]")
    return pl


def _list(path: str, v: Any) -> list:
    if not isinstance(v, list):
        raise ConfigError(f"{path}: {v!r} is not a list")
    return v


def _mobility(path: str, raw: Any) -> Mobility:
    m = _section(path, raw, Mobility, {
        "kind": lambda p, v: _choice(p, v, MOBILITY_KINDS),
        "speed_mps": lambda p, v: _num(p, v, 0, 150),
        "heading_deg": lambda p, v: _num(p, v),
        "speed_min_mps": lambda p, v: _num(p, v, 0, 150, lo_open=True),
        "speed_max_mps": lambda p, v: _num(p, v, 0, 150, lo_open=True),
        "walk_mode": lambda p, v: _choice(p, v, ("time", "distance")),
        "walk_step": lambda p, v: _num(p, v, 0, lo_open=True),
        "pause_s": lambda p, v: _num(p, v, 0),
        "mean_speed_mps": lambda p, v: _num(p, v, 0, 150),
        "alpha": lambda p, v: _num(p, v, 0, 1),
        "time_step_s": lambda p, v: _num(p, v, 0.001, lo_open=False),
        "bounds": lambda p, v: _vec(p, v, 4),
        "file": _str,
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
    return m


def _traffic(path: str, raw: Any) -> Traffic:
    return _section(path, raw, Traffic, {
        "kind": lambda p, v: _choice(p, v, TRAFFIC_KINDS),
        "direction": lambda p, v: _choice(p, v, DIRECTIONS),
        "rate_bps": lambda p, v: _num(p, v, 0, 1e10, lo_open=True),
        "packet_bytes": lambda p, v: _int(p, v, 12, 1400),
        "start_s": lambda p, v: _num(p, v, 0),
    })


def _group(path: str, raw: Any) -> UeGroup:
    g = _section(path, raw, UeGroup, {
        "count": lambda p, v: _int(p, v, 1, 64),
        "height_m": lambda p, v: _num(p, v, 0.1, 300),
        "placement": _placement,
        "mobility": _mobility,
        "traffic": _traffic,
    })
    if g.placement.kind == "list" and len(g.placement.positions) != g.count:
        raise ConfigError(
            f"{path}.placement.positions: has {len(g.placement.positions)} entries, count is {g.count}"
        )
    return g


_TOP = ("name", "duration_s", "seed", "run", "radio", "channel", "edge", "transfer", "ue_groups")


def load_scenario(
    source: str | Path | Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    extra_sections: Iterable[str] = (),
) -> Scenario:
    """Loads and validates a scenario.

    Args:
        source: path of a YAML file, or an already parsed mapping.
        overrides: dotted key -> value applied before validation, e.g. {"radio.scheduler": "rr"}.
        extra_sections: top-level keys other packages own (e.g. "model", "requests"); they are
            kept as given in ``Scenario.extra`` and not checked here.

    Raises:
        ConfigError: any bad, unknown or missing value (message: key path, value, allowed values).
    """
    if isinstance(source, Mapping):
        raw: Any = _deepcopy(source)
    else:
        import yaml

        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"scenario file not found: {path}")
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"scenario: top level must be a mapping, got {type(raw).__name__}")
    for key, value in (overrides or {}).items():
        _set_dotted(raw, key, value)
    extra_sections = set(extra_sections)
    extra = {k: raw.pop(k) for k in list(raw) if k in extra_sections and k not in _TOP}
    sc = _section("", raw, Scenario, {
        "name": _str,
        "duration_s": lambda p, v: _num(p, v, 0, 1e6, lo_open=True),
        "seed": lambda p, v: _int(p, v, 1, 2**31 - 1),
        "run": lambda p, v: _int(p, v, 1, 2**31 - 1),
        "radio": _radio,
        "channel": _channel,
        "edge": lambda p, v: _section(p, v, Edge, {
            "backhaul_delay_ms": lambda p2, v2: _num(p2, v2, 0, 10_000),
            "backhaul_rate_gbps": lambda p2, v2: _num(p2, v2, 0, 1000, lo_open=True),
        }),
        "transfer": lambda p, v: _section(p, v, Transfer, {
            "payload_bytes": lambda p2, v2: _int(p2, v2, 1, 1400),
            "loss_timeout_ms": lambda p2, v2: _num(p2, v2, 100, 600_000),
        }),
        "ue_groups": lambda p, v: [_group(f"{p}[{i}]", g) for i, g in enumerate(_list(p, v))],
    })
    if "radio" not in raw:
        sc.radio = _radio("radio", {})
    if not sc.ue_groups:
        raise ConfigError("ue_groups: at least one group is required")
    if sc.ue_count > 64:
        raise ConfigError(f"ue_groups: {sc.ue_count} UEs in total, at most 64 are allowed")
    _check_positions(sc)
    sc.extra = extra
    return sc


def _deepcopy(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {k: _deepcopy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_deepcopy(v) for v in x]
    return x


def _set_dotted(raw: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    node = raw
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = node[int(part)]
            continue
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, (dict, list)):
            raise ConfigError(f"{'.'.join(parts[: i + 1])}: cannot override inside {nxt!r}")
        node = nxt
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


# ----------------------------------------------------------------------------- resolution
def _positions(sc: Scenario) -> list[list[tuple[float, float, float]]]:
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
    for gi, (g, pos) in enumerate(zip(sc.ue_groups, _positions(sc))):
        if g.mobility.kind in ("random_walk", "random_waypoint", "gauss_markov"):
            xmin, xmax, ymin, ymax = g.mobility.bounds
            for x, y, _ in pos:
                if not (xmin <= x <= xmax and ymin <= y <= ymax):
                    raise ConfigError(
                        f"ue_groups[{gi}].mobility.bounds: {list(g.mobility.bounds)} does not contain"
                        f" the initial position ({x}, {y}); widen the bounds or change the placement"
                    )


def _full_buffer_rate(rbs: int) -> float:
    # above the SISO peak rate (~0.75 Mb/s per RB), so the RLC queue never drains
    return 1.0e6 * rbs


def _fading_file(sc: Scenario) -> str:
    from .fading import fading_trace_path

    f = sc.channel.fading
    samples = int(round(f.trace_length_s * 1000))
    return str(fading_trace_path(f.model, f.speed_kmh, dl_frequency_hz(sc.radio),
                                 sc.radio.bandwidth_rbs, samples, sc.seed))


def to_program_config(sc: Scenario, transfers: Iterable[tuple] = ()) -> str:
    """The text the ``lte_cell`` program reads (format: ns3_scenarios/lte/scenario-config.h).

    Generates (or reuses from the cache) the fading trace when fading is on.

    Args:
        transfers: optional scheduled test transfers (t_s, "ul"|"dl", ue, bytes, tag[, payload]).
    """
    r, ch = sc.radio, sc.channel
    n = sc.ue_count
    lines = [
        "# layersplit lte_cell config (written by cosim.scenario; do not edit)",
        f"name {sc.name}",
        f"duration_s {sc.duration_s!r}",
        f"seed {sc.seed}",
        f"run {sc.run}",
        f"bandwidth_rbs {r.bandwidth_rbs}",
        f"dl_earfcn {r.dl_earfcn}",
        f"ul_earfcn {r.dl_earfcn + 18000}",
        f"enb_tx_power_dbm {r.enb_tx_power_dbm!r}",
        f"ue_tx_power_dbm {r.ue_tx_power_dbm!r}",
        f"enb_noise_figure_db {r.enb_noise_figure_db!r}",
        f"ue_noise_figure_db {r.ue_noise_figure_db!r}",
        f"scheduler {SCHEDULERS[r.scheduler]}",
        f"rlc_mode {r.rlc_mode}",
        f"rlc_max_tx_buffer_bytes {r.rlc_max_tx_buffer_bytes}",
        f"srs_periodicity {40 if n <= 36 else 80}",
        f"rlf_detection {'true' if r.rlf_detection else 'false'}",
        f"rlc_am_retx_always_fits {'true' if r.rlc_am_retx_always_fits else 'false'}",
        f"harq {'true' if r.harq else 'false'}",
        f"enb_x {r.enb_position[0]!r}",
        f"enb_y {r.enb_position[1]!r}",
        f"enb_z {r.enb_position[2]!r}",
    ]
    loss, cond = PROPAGATION_MODELS[ch.propagation]
    lines.append(f"pathloss_model {loss}")
    lines.append(f"channel_condition {cond or 'none'}")
    if ch.propagation == "log_distance":
        lines.append(f"pathloss_attr Exponent {ch.log_distance.exponent!r}")
        lines.append(f"pathloss_attr ReferenceLoss {ch.log_distance.reference_loss_db!r}")
    elif ch.propagation == "okumura_hata":
        env = {"urban": "Urban", "suburban": "SubUrban", "open": "OpenAreas"}
        lines.append(f"pathloss_attr Environment {env[ch.okumura_hata.environment]}")
        lines.append(f"pathloss_attr CitySize {ch.okumura_hata.city_size.capitalize()}")
    elif ch.propagation == "cost231":
        lines.append(f"pathloss_attr BSAntennaHeight {r.enb_position[2]!r}")
        lines.append(f"pathloss_attr SSAntennaHeight {sc.ue_groups[0].height_m!r}")
    elif cond is not None:
        lines.append(f"pathloss_attr ShadowingEnabled {'true' if ch.shadowing else 'false'}")
    if ch.fading.model == "none":
        lines.append("fading none")
    else:
        lines += [
            "fading trace",
            f"fading_trace_file {_fading_file(sc)}",
            f"fading_trace_length_s {ch.fading.trace_length_s!r}",
            f"fading_samples {int(round(ch.fading.trace_length_s * 1000))}",
            f"fading_window_s {ch.fading.window_s!r}",
            f"fading_rb_num {r.bandwidth_rbs}",
        ]
    lines += [
        f"backhaul_rate {sc.edge.backhaul_rate_gbps * 1e9:.0f}bps",
        f"backhaul_delay_ms {sc.edge.backhaul_delay_ms!r}",
        f"payload_bytes {sc.transfer.payload_bytes}",
        f"loss_timeout_ms {sc.transfer.loss_timeout_ms!r}",
        f"ue_count {n}",
    ]
    idx = 0
    for g, pos in zip(sc.ue_groups, _positions(sc)):
        for k in range(g.count):
            lines.append(f"ue {idx} " + " ".join(f"{a}={b}" for a, b in _ue_items(sc, g, k, pos[k])))
            idx += 1
    for t in transfers:
        t_s, d, ue, nbytes, tag, *rest = t
        payload = rest[0] if rest else sc.transfer.payload_bytes
        lines.append(f"transfer {t_s!r} {d} {ue} {nbytes} {tag} {payload}")
    return "\n".join(lines) + "\n"


def _ue_items(sc: Scenario, g: UeGroup, k: int, pos: tuple[float, float, float]) -> list[tuple]:
    m, t = g.mobility, g.traffic
    items: list[tuple] = [("x", pos[0]), ("y", pos[1]), ("z", pos[2]), ("mobility", m.kind)]
    if m.kind == "constant_velocity":
        h = math.radians(m.heading_deg)
        items += [("vx", round(m.speed_mps * math.cos(h), 6)), ("vy", round(m.speed_mps * math.sin(h), 6)),
                  ("vz", 0.0)]
    elif m.kind in ("random_walk", "random_waypoint", "gauss_markov"):
        items += list(zip(("xmin", "xmax", "ymin", "ymax"), m.bounds))
        if m.kind == "random_walk":
            items += [("speed_min", m.speed_min_mps), ("speed_max", m.speed_max_mps),
                      ("walk_mode", m.walk_mode), ("walk_step", m.walk_step)]
        elif m.kind == "random_waypoint":
            items += [("speed_min", m.speed_min_mps), ("speed_max", m.speed_max_mps), ("pause_s", m.pause_s)]
        else:
            items += [("mean_speed", m.mean_speed_mps), ("alpha", m.alpha), ("time_step_s", m.time_step_s)]
    elif m.kind == "ns2":
        if any(c.isspace() for c in m.file):
            raise ConfigError(f"mobility.file: path must not contain spaces: {m.file}")
        items += [("ns2_file", m.file), ("ns2_node", k)]
    items.append(("traffic", t.kind))
    if t.kind != "none":
        rate = t.rate_bps if t.kind == "cbr" else _full_buffer_rate(sc.radio.bandwidth_rbs)
        items += [("traffic_dir", t.direction), ("traffic_rate_bps", f"{rate:.0f}"),
                  ("traffic_packet_bytes", t.packet_bytes), ("traffic_start_s", t.start_s)]
    return items


def resolved_dict(sc: Scenario) -> dict[str, Any]:
    """Every value after defaults and resolution (UE positions, EARFCNs, frequency), for saving."""
    d = dataclasses.asdict(sc)
    extra = d.pop("extra")
    d["radio"]["ul_earfcn"] = sc.radio.dl_earfcn + 18000
    d["radio"]["dl_frequency_mhz"] = dl_frequency_hz(sc.radio) / 1e6
    for g, pos in zip(d["ue_groups"], _positions(sc)):
        g["initial_positions"] = [list(p) for p in pos]
    d.update(extra)
    return d
