"""What every built-in cell radio shares: the edge behind the base station, and the UE groups
(count, height, placement, mobility, traffic) with their initial positions and the UE lines of the
program config. A radio's schema (cosim.radio.lte.schema, cosim.radio.nr.schema) adds its own
``radio`` and ``channel`` sections to :data:`CELL_TOP`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from cosim.config.checks import (COMMON_TOP, DERIVED, Choice, ConfigError, Int, ListOf, Num, Section, Str, Vec,
                                 apply_overrides, deepcopy, drop_derived, load_yaml, settings)

MAX_UES = 64

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


def _check_placement(path: str, pl: Placement) -> None:
    if pl.radius_min_m > pl.radius_max_m:
        raise ConfigError(f"{path}.radius_min_m: {pl.radius_min_m} must be <= radius_max_m")
    for key in ("x_range", "y_range"):
        lo, hi = getattr(pl, key)
        if lo > hi:
            raise ConfigError(f"{path}.{key}: {[lo, hi]} must be [low, high]")


placement = Section(Placement, {
    "kind": Choice(PLACEMENT_KINDS),
    "positions": ListOf(Vec((2, 3), unit="m"), MAX_UES),  # [x, y] or [x, y, z]
    "center": Vec(2, unit="m"),
    "radius_min_m": Num(0, 1e5),
    "radius_max_m": Num(0, 1e5, lo_open=True),
    "x_range": Vec(2, unit="m"),
    "y_range": Vec(2, unit="m"),
}, check=_check_placement)


def _check_mobility(path: str, m: Mobility) -> None:
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


mobility = Section(Mobility, {
    "kind": Choice(MOBILITY_KINDS),
    "speed_mps": Num(0, 150),
    "heading_deg": Num(-360, 360),
    "speed_min_mps": Num(0, 150, lo_open=True),
    "speed_max_mps": Num(0, 150, lo_open=True),
    "walk_mode": Choice(("time", "distance")),
    "walk_step": Num(0, 1e5, lo_open=True, unit="s (walk_mode time) or m (distance)"),
    "pause_s": Num(0, 1e6),
    "mean_speed_mps": Num(0, 150),
    "alpha": Num(0, 1),
    "time_step_s": Num(0.001, 1e4),
    "bounds": Vec(4, unit="m"),  # xmin xmax ymin ymax
    "file": Str(),
}, check=_check_mobility)


traffic = Section(Traffic, {
    "kind": Choice(TRAFFIC_KINDS),
    "direction": Choice(DIRECTIONS),
    "rate_bps": Num(0, 1e10, lo_open=True),
    "packet_bytes": Int(12, 1400),
    "start_s": Num(0, 1e6),
})


def _check_group(path: str, g: UeGroup) -> None:
    if g.placement.kind == "list" and len(g.placement.positions) != g.count:
        raise ConfigError(f"{path}.placement.positions: has {len(g.placement.positions)} entries, count is {g.count}")


group = Section(UeGroup, {
    "count": Int(1, MAX_UES),
    "height_m": Num(0.1, 300),
    "placement": placement,
    "mobility": mobility,
    "traffic": traffic,
}, check=_check_group)

edge = Section(Edge, {
    "backhaul_delay_ms": Num(0, 10_000),
    "backhaul_rate_gbps": Num(0, 1000, lo_open=True),
})

ue_groups = ListOf(group, MAX_UES)


# Parsers of the top-level keys every built-in cell has; a radio adds ``radio`` and ``channel``.
CELL_TOP = {**COMMON_TOP, "edge": edge, "ue_groups": ue_groups}
CELL_KEYS = (*CELL_TOP, "radio", "channel")  # the top-level keys of any built-in cell scenario


def check_cell(sc) -> None:
    """The checks across sections of a loaded cell scenario (any radio)."""
    if not sc.ue_groups:
        raise ConfigError("ue_groups: at least one group is required")
    if sc.ue_count > MAX_UES:
        raise ConfigError(f"ue_groups: {sc.ue_count} UEs in total, at most {MAX_UES} are allowed")
    check_positions(sc)


def load_cell(source: str | Path | Mapping[str, Any], overrides: Mapping[str, Any] | None,
              extra_sections: Iterable[str], schema: Section) -> Any:
    """The steps every built-in cell's loader takes: read (a YAML path or a parsed mapping), apply
    the dotted overrides, drop a saved config's ``derived`` section, set aside the top-level
    sections other packages own (kept as given in ``extra``), build the radio's ``schema`` (its
    own checks across keys included), then run the checks every cell shares."""
    raw = deepcopy(source) if isinstance(source, Mapping) else load_yaml(source, "scenario")
    drop_derived(apply_overrides(raw, overrides))
    extra_sections = set(extra_sections)
    extra = {k: raw.pop(k) for k in list(raw) if k in extra_sections and k not in CELL_KEYS}
    sc = schema("", raw)
    check_cell(sc)
    sc.extra = extra
    return sc


def resolved_cell(sc, radio_derived: dict, unsaved_radio_keys: Iterable[str] = ()) -> dict[str, Any]:
    """For saving: every setting after defaults (it loads back as the same scenario) and, under
    ``derived``, what the settings resolve to: the radio's ``radio_derived`` and the UE positions.
    ``unsaved_radio_keys`` are radio settings another key holds once resolved."""
    import dataclasses

    d = dataclasses.asdict(sc)
    extra = d.pop("extra")
    for key in unsaved_radio_keys:
        d["radio"].pop(key)
    d = settings(d)
    d.update(extra)
    d[DERIVED] = {"radio": radio_derived, "ue_groups": derived_positions(sc)}
    return d


# ----------------------------------------------------------------------------- resolution
def positions(sc) -> list[list[tuple[float, float, float]]]:
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


def check_positions(sc) -> None:
    for gi, (g, pos) in enumerate(zip(sc.ue_groups, positions(sc))):
        if g.mobility.kind in ("random_walk", "random_waypoint", "gauss_markov"):
            xmin, xmax, ymin, ymax = g.mobility.bounds
            for x, y, _ in pos:
                if not (xmin <= x <= xmax and ymin <= y <= ymax):
                    raise ConfigError(
                        f"ue_groups[{gi}].mobility.bounds: {list(g.mobility.bounds)} does not contain"
                        f" the initial position ({x}, {y}); widen the bounds or change the placement")


def derived_positions(sc) -> list[dict]:
    """The ``derived.ue_groups`` entries of a saved config: each group's initial positions."""
    return [{"initial_positions": [list(p) for p in pos]} for pos in positions(sc)]


# ----------------------------------------------------------------------------- program config
def ue_items(g: UeGroup, k: int, pos: tuple[float, float, float], full_buffer_bps: float) -> list[tuple]:
    """``key=value`` items of UE ``k`` of group ``g`` in a cell program's config (format:
    ns3_scenarios/common/scenario-config.h); ``full_buffer_bps`` is the radio's rate above its peak."""
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
    elif m.kind == "ns2":  # the schema refused a path with spaces
        items += [("ns2_file", m.file), ("ns2_node", k)]
    items.append(("traffic", t.kind))
    if t.kind != "none":
        rate = t.rate_bps if t.kind == "cbr" else full_buffer_bps
        items += [("traffic_dir", t.direction), ("traffic_rate_bps", f"{rate:.0f}"),
                  ("traffic_packet_bytes", t.packet_bytes), ("traffic_start_s", t.start_s)]
    return items


def tail_lines(sc, transfers: Iterable[tuple], full_buffer_bps: float) -> list[str]:
    """The program config's lines after the radio's own: backhaul, transfer settings, one line per
    UE and the scheduled test transfers (t_s, "ul"|"dl", ue, bytes, tag[, payload])."""
    lines = [
        f"backhaul_rate {sc.edge.backhaul_rate_gbps * 1e9:.0f}bps",
        f"backhaul_delay_ms {sc.edge.backhaul_delay_ms!r}",
        f"payload_bytes {sc.transfer.payload_bytes}",
        f"loss_timeout_ms {sc.transfer.loss_timeout_ms!r}",
        f"ue_count {sc.ue_count}",
    ]
    idx = 0
    for gi, (g, pos) in enumerate(zip(sc.ue_groups, positions(sc))):
        for k in range(g.count):
            items = [*ue_items(g, k, pos[k], full_buffer_bps), ("group", gi)]  # the group: for error messages
            lines.append(f"ue {idx} " + " ".join(f"{a}={b}" for a, b in items))
            idx += 1
    for t in transfers:
        t_s, d, ue, nbytes, tag, *rest = t
        payload = rest[0] if rest else sc.transfer.payload_bytes
        lines.append(f"transfer {t_s!r} {d} {ue} {nbytes} {tag} {payload}")
    return lines
