"""Hypothesis strategies over scenario and split-session configs, each draw a (config, field)
pair: ``cell(invalid)`` and ``session(invalid)`` change up to a few fields of a short base config to
valid values and, when ``invalid``, one field (the one returned) to an invalid value. Shared by
tests/hardening/test_config_fuzz.py and benchmarks/studies/reliability.py; the field tables
(dotted path -> (valid values that keep a run short, invalid values)) say what is fuzzed."""

from __future__ import annotations

import json

try:
    from hypothesis import strategies as st
except ImportError as exc:  # a test dependency, not a runtime one
    raise ImportError("cosim.testing.fuzz needs hypothesis: pip install 'layersplit[test]'") from exc

from cosim.radio.lte.schema import BANDWIDTHS, PROPAGATION_MODELS, SCHEDULERS
from llm_split.wire.settings import WIRE_DTYPES

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
NOT_NUMBER = st.one_of(TEXT, st.booleans(), st.none(), st.lists(st.integers(), max_size=2))
NAN = st.sampled_from([float("nan"), float("inf"), -float("inf")])


def outside(lo, hi, integer=False):
    """Numbers outside [lo, hi], non-finite numbers, and values that are not numbers."""
    num = st.integers if integer else st.floats
    return st.one_of(num(max_value=lo - 1) if integer else st.floats(max_value=lo, exclude_max=True),
                     num(min_value=hi + 1) if integer else st.floats(min_value=hi, exclude_min=True),
                     NAN, NOT_NUMBER)


# dotted path -> (valid values that keep a run short, invalid values)
CELL_FIELDS = {
    "duration_s": (st.floats(0.05, 0.25), outside(0, 1e6).filter(lambda v: v != 0 or True)),
    "seed": (st.integers(1, 2**31 - 1), outside(1, 2**31 - 1, integer=True)),
    "name": (st.from_regex(r"[a-z][a-z0-9_.-]{0,20}", fullmatch=True).filter(lambda s: ".." not in s),
             st.one_of(st.sampled_from(["../x", "a/b", "a\nb", "", ".x", "-x", "a b"]), st.integers())),
    "radio.bandwidth_rbs": (st.sampled_from(BANDWIDTHS), st.integers(0, 200).filter(lambda v: v not in BANDWIDTHS)),
    "radio.scheduler": (st.sampled_from([s for s in SCHEDULERS if s != "fdtbfq"]),
                        TEXT.filter(lambda s: s not in SCHEDULERS)),
    "radio.rlc_mode": (st.sampled_from(["UM", "AM"]), TEXT.filter(lambda s: s not in ("UM", "AM"))),
    "radio.enb_tx_power_dbm": (st.floats(0, 46), outside(-30, 60)),
    "radio.harq": (st.booleans(), st.one_of(TEXT, st.integers())),
    "channel.propagation": (st.sampled_from(["friis", "log_distance", "okumura_hata", "cost231", "3gpp_uma"]),
                            TEXT.filter(lambda s: s not in PROPAGATION_MODELS)),
    "channel.log_distance.exponent": (st.floats(2, 4), outside(1, 8)),
    "edge.backhaul_delay_ms": (st.floats(0, 20), outside(0, 10_000)),
    "transfer.payload_bytes": (st.integers(200, 1400), outside(1, 1400, integer=True)),
    "transfer.loss_timeout_ms": (st.floats(100, 1000), outside(100, 600_000)),
    "ue_groups.0.count": (st.integers(1, 3), outside(1, 64, integer=True)),
    "ue_groups.0.height_m": (st.floats(1, 20), outside(0.1, 300)),
    "ue_groups.0.mobility.speed_mps": (st.floats(0, 30), outside(0, 150)),
    "ue_groups.0.mobility.heading_deg": (st.floats(-360, 360), outside(-360, 360)),
    "ue_groups.0.placement.radius_max_m": (st.floats(60, 300), outside(0, 1e5).filter(lambda v: v != 0)),
    "ue_groups.0.traffic.rate_bps": (st.floats(1e4, 1e6), outside(0, 1e10).filter(lambda v: v != 0)),
    "probes.0.bytes": (st.integers(100, 20_000), outside(1, 100_000_000, integer=True)),
    "probes.0.period_ms": (st.floats(20, 200), st.one_of(st.floats(max_value=1, exclude_max=True), NOT_NUMBER)),
}
BASE = {"name": "fz", "duration_s": 0.1, "seed": 1,
        "ue_groups": [{"count": 1, "placement": {"kind": "disc", "radius_min_m": 10, "radius_max_m": 50},
                       "mobility": {"kind": "constant_velocity"}, "traffic": {"kind": "cbr"}}],
        "probes": [{"bytes": 1000, "period_ms": 50}]}


def set_path(cfg: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = cfg
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def message_path(dotted: str) -> str:
    """ue_groups.0.count -> ue_groups[0].count (how errors name list items)."""
    out = ""
    for part in dotted.split("."):
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _changed(draw, base: dict, table: dict, invalid: bool, most: int) -> tuple[dict, str]:
    """``base`` with 1 to ``most`` fields of ``table`` set to valid values; when ``invalid``, the
    first of them set to an invalid value instead. Returns the config and that first field."""
    cfg = json.loads(json.dumps(base))
    fields = draw(st.lists(st.sampled_from(sorted(table)), min_size=1, max_size=most, unique=True))
    for f in fields[1:] if invalid else fields:
        set_path(cfg, f, draw(table[f][0]))
    if invalid:
        set_path(cfg, fields[0], draw(table[fields[0]][1]))
    return cfg, fields[0]


@st.composite
def cell(draw, invalid: bool):
    return _changed(draw, BASE, CELL_FIELDS, invalid, most=5)


SESSION_FIELDS = {
    "model.wire_dtype": (st.sampled_from(WIRE_DTYPES), TEXT.filter(lambda s: s not in WIRE_DTYPES)),
    "model.fill": (st.sampled_from(["zero", "mean"]), TEXT.filter(lambda s: s not in ("zero", "mean"))),
    "model.protect": (st.lists(st.integers(0, 575), max_size=2, unique=True),
                      st.one_of(st.lists(outside(0, 65_535, integer=True), min_size=1, max_size=2), TEXT)),
    "requests.prompt_tokens": (st.integers(8, 24), outside(2, 4096, integer=True)),
    "requests.rate_per_s": (st.floats(1, 6), outside(0, 1000).filter(lambda v: v != 0)),
    "requests.windows": (st.integers(1, 3), outside(1, 10_000, integer=True)),
    "split.k": (st.integers(0, 30), outside(0, 1024, integer=True)),
    "split.policy": (st.just("fixed"), TEXT.filter(lambda s: s not in ("fixed", "sinr_table", "agent"))),
    "edge_server.capacity": (st.integers(1, 4), outside(1, 1024, integer=True)),
    "split.switch_cost_ms_per_layer": (st.floats(0, 5), outside(0, 10_000)),
}
SESSION_BASE = {"name": "fs", "duration_s": 0.6, "seed": 1, "radio": {"bandwidth_rbs": 50},
                "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
                "ue_groups": [{"count": 1, "placement": {"kind": "list", "positions": [[30, 0]]}}],
                "model": {"wire_dtype": "float16"}, "requests": {"times_s": [0.1, 0.3], "prompt_tokens": 16,
                                                                   "windows": 2},
                "split": {"policy": "fixed", "k": 4}}


@st.composite
def session(draw, invalid: bool):
    # times_s (kept) wins over rate_per_s: every valid session has requests
    return _changed(draw, SESSION_BASE, SESSION_FIELDS, invalid, most=4)
