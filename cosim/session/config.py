"""The split-inference sections of a scenario YAML (beside the cell's own keys)::

    model:        {name, dtype, device, cache_dir, wire_dtype, fill, protect, sink_row, interleave}
    requests:     {rate_per_s | times_s, prompt_tokens, windows, decode_tokens, corpus, deadline_ms,
                   resend_after_handover, id_resends, ttft_target_ms, itl_target_ms}
    ue_device:    phone                     # a profile name (llm_split.PROFILES), measured, or a JSON file
    ue_battery_j: null                      # the UE's energy budget for the run, J (policies see the share left)
    ue_radio:     {connected_w, tail_s, idle_w, promotion_w, promotion_s, pa_efficiency}
    edge_server:  {capacity, device, max_batch}
    split:        {policy: fixed | sinr_table | agent | reward_model, k, table, agent, switch_cost_ms_per_layer, true_endpoints}

Every value is checked here; errors name the key path, the value and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from cosim.config.checks import Bool, Choice, ConfigError, Fn, Int, ListOf, Num, Optional, Section, Str
from cosim.config.checks import integer as _int
from cosim.config.checks import list_of as _list
from cosim.config.checks import num as _num
from cosim.config.checks import string as _str
from llm_split.layers import BUNDLED_LAYERS, layer_count
from llm_split.wire.settings import WIRE_KEYS, check_wire

MAX_LAYER = 1024  # the bound of any model; parse_session checks the split points against the model's own

SECTIONS = ("model", "requests", "ue_device", "ue_battery_j", "ue_radio", "edge_server", "split", "probes")
POLICIES = ("fixed", "sinr_table", "agent", "reward_model")  # the last two: mbrl's plugin
MODEL_DTYPES = ("float32", "bfloat16")
MODEL_DEVICES = ("auto", "cpu", "cuda")  # llm_split.model.resolve_device; bfloat16 on a GPU


@dataclass
class ModelSection:
    name: str = "smollm2-135m"
    dtype: str = "float32"
    device: str = "cpu"  # auto | cpu | cuda; cpu by default: the same numbers on every machine
    cache_dir: str | None = None
    wire_dtype: str = "float16"
    fill: str = "zero"
    protect: tuple[int, ...] = ()
    sink_row: bool = True  # the edge restores the BOS row exactly (it is the same for every prompt)
    interleave: bool = False  # spread elements over the packets (llm_split.wire.codec); float wire dtypes


@dataclass
class RequestsSection:
    rate_per_s: float = 0.5            # Poisson arrivals per UE
    times_s: tuple[float, ...] = ()     # or explicit arrival times, for every UE
    prompt_tokens: int = 128
    windows: int = 16                   # distinct prompts (consecutive corpus windows), drawn at random
    decode_tokens: int = 0              # new tokens generated after the prompt, one round trip each
    corpus: str = "lee"
    deadline_ms: float | None = None    # None: wait for every packet's fate
    # ns-3 drops a UE's uplink RLC buffers at a handover command: true resends, once, the packets of
    # an uplink transfer that were lost while it overlapped one of the UE's handovers (as full-size
    # packets, through the new cell); false leaves them lost, plain ns-3 behaviour
    resend_after_handover: bool = False
    id_resends: int = 2  # split.true_endpoints at k = 0: times the UE resends lost token-id packets
    # latency targets a request meets or misses (requests.parquet met_target); unlike deadline_ms
    # they change nothing in the run: time to the first token, and the mean gap between the
    # tokens after it (decode_tokens > 0)
    ttft_target_ms: float | None = None
    itl_target_ms: float | None = None


@dataclass
class UeRadioSection:
    """The UE radio's power states (cosim.session.energy). Defaults: the LTE model of Huang et al.,
    "A Close Examination of Performance and Power Characteristics of 4G LTE Networks", MobiSys 2012
    (Table 3); pa_efficiency is an assumption (see docs/metrics.md)."""

    connected_w: float = 1.060      # RRC_CONNECTED, no uplink data: the paper's tail power
    tail_s: float = 11.576          # inactivity before RRC_IDLE: the paper's tail time
    idle_w: float = 0.020           # RRC_IDLE averaged: 594.3 mW DRX on-duration, 43.2 ms per 1.28 s
    promotion_w: float = 1.2107     # RRC_IDLE -> RRC_CONNECTED, paid once per promotion
    promotion_s: float = 0.2601
    pa_efficiency: float = 0.2      # radiated / drawn power of the transmit chain during PUSCH


@dataclass
class EdgeServerSection:
    capacity: int = 1
    device: str = "edge-gpu"
    max_batch: int = 1  # tail passes one server runs together (cosim.session.edge); 1: one at a time


@dataclass
class SplitSection:
    policy: str = "fixed"
    k: int = 8
    table: tuple[tuple[float, int], ...] = ()   # (minimum mean UL SINR in dB, k), best first
    agent: str | None = None
    switch_cost_ms_per_layer: float = 0.0
    # false: the seed paper's convention, every k sends a hidden state (k = 0 the embedding output,
    # k = L the last layer's). true: k = 0 sends the token ids and the edge embeds them; k = L runs
    # the whole model on the UE (norm and head included) and nothing crosses the air
    true_endpoints: bool = False


@dataclass
class SessionConfig:
    model: ModelSection = field(default_factory=ModelSection)
    requests: RequestsSection = field(default_factory=RequestsSection)
    ue_device: str = "phone"
    ue_battery_j: float | None = None
    ue_radio: UeRadioSection = field(default_factory=UeRadioSection)
    edge_server: EdgeServerSection = field(default_factory=EdgeServerSection)
    split: SplitSection = field(default_factory=SplitSection)


def _device(path: str, v: Any) -> str:
    from llm_split import PROFILES

    if isinstance(v, str) and (v in PROFILES or v == "measured" or Path(v).expanduser().is_file()):
        return v
    raise ConfigError(f"{path}: {v!r} is not one of {', '.join(PROFILES)}, measured, nor an existing profile JSON file")


def _folder(path: str, v: Any) -> str:
    """A folder that exists or can be made (an existing file in its place is refused now, not mid-run)."""
    p = Path(_str(path, v)).expanduser()
    for parent in (p, *p.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"{path}: {v!r} is not a folder ({parent} is a file)")
            break
    return v


def _table(path: str, v: Any) -> tuple[tuple[float, int], ...]:
    rows = []
    for i, row in enumerate(_list(path, v)):
        if not isinstance(row, (list, tuple)) or len(row) != 2:
            raise ConfigError(f"{path}[{i}]: {row!r} is not a pair [min_sinr_db, k]")
        rows.append((_num(f"{path}[{i}][0]", row[0], -200, 200), _int(f"{path}[{i}][1]", row[1], 0, MAX_LAYER)))
    return tuple(rows)  # in the order given, so that errors name rows as written; sorted by parse_session


def _k(path: str, v: Any) -> int:
    return _int(path, v, 0, MAX_LAYER)


_LAYERS_SAID = ", ".join(f"{name}: {n}" for name, n in BUNDLED_LAYERS.items()) + f"; any model: at most {MAX_LAYER}"

_DEVICE = Fn(_device, "profile", "a profile name (llm_split.PROFILES: phone, edge-gpu, ...), measured, "
                                 "or a profile JSON file")

# The split-session sections of a scenario, in the order they are checked.
SCHEMA = Section(SessionConfig, {
    "model": Section(ModelSection, {
        "name": Str(), "dtype": Choice(MODEL_DTYPES),
        "device": Choice(MODEL_DEVICES),
        "cache_dir": Fn(_folder, "string", "a folder that exists or can be made"),
        **WIRE_KEYS,
    }, check=check_wire),
    "requests": Section(RequestsSection, {
        "rate_per_s": Num(0, 1000, lo_open=True),
        "times_s": ListOf(Num(0, 1e6), into=lambda xs: tuple(sorted(xs))),
        "prompt_tokens": Int(2, 4096),
        "windows": Int(1, 10_000),
        "decode_tokens": Int(0, 1024),
        "corpus": Str(),
        "deadline_ms": Optional(Num(0, 600_000, lo_open=True)),
        "resend_after_handover": Bool(),
        "id_resends": Int(0, 16),
        "ttft_target_ms": Optional(Num(0, 600_000, lo_open=True, unit="ms")),
        "itl_target_ms": Optional(Num(0, 600_000, lo_open=True, unit="ms")),
    }),
    "ue_device": _DEVICE,
    "ue_battery_j": Optional(Num(0, 1e9, lo_open=True, unit="J")),
    "ue_radio": Section(UeRadioSection, {
        "connected_w": Num(0, 100, unit="W"), "tail_s": Num(0, 3600, unit="s"), "idle_w": Num(0, 100, unit="W"),
        "promotion_w": Num(0, 100, unit="W"), "promotion_s": Num(0, 60, unit="s"),
        "pa_efficiency": Num(0, 1, lo_open=True),
    }),
    "edge_server": Section(EdgeServerSection, {
        "capacity": Int(1, 1024), "device": _DEVICE, "max_batch": Int(1, 1024),
    }),
    "split": Section(SplitSection, {
        "policy": Choice(POLICIES), "k": Fn(_k, "integer", f"0 <= x <= the model's layers ({_LAYERS_SAID})"),
        "table": Fn(_table, "list of [min_sinr_db, k] pairs",
                    "min_sinr_db: -200 <= x <= 200 (dB), k: 0 <= x <= the model's layers; sorted best first"),
        "agent": Str(),
        "switch_cost_ms_per_layer": Num(0, 10_000),
        "true_endpoints": Bool(),
    }),
})


def parse_session(extra: Mapping[str, Any]) -> SessionConfig:
    """Validates the split-inference sections (``Scenario.extra``) into a SessionConfig."""
    given = {k: extra[k] for k in SCHEMA.fields if k in extra}  # in SCHEMA's order, other sections aside
    cfg = SCHEMA("", given)
    _check_policy(cfg.split)
    check_layers(cfg.split, layer_count(cfg.model.name), cfg.model.name)
    cfg.split.table = tuple(sorted(cfg.split.table, reverse=True))  # best first, as SinrTable reads it
    return cfg


def check_layers(s: SplitSection, n_layers: int | None, model: str) -> None:
    """Every split point of the section within the model's 0..n_layers, whatever the policy (a
    table's default k and every row included); None: the count is known only once the model loads."""
    if n_layers is None:
        return
    where = f"is not in 0..{n_layers} ({model} has {n_layers} layers; k of them run on the UE)"
    if s.k > n_layers:
        raise ConfigError(f"split.k: {s.k} {where}")
    for i, (_, k) in enumerate(s.table):
        if k > n_layers:
            raise ConfigError(f"split.table[{i}][1]: {k} {where}")


def _check_policy(s: SplitSection) -> None:
    if s.policy == "sinr_table" and not s.table:
        raise ConfigError("split.table: required for policy sinr_table, e.g. [[10, 4], [0, 12], [-100, 20]]")
    if s.policy == "agent" and not s.agent:
        raise ConfigError("split.agent: required for policy agent (a model file made by `layersplit train`)")
    if s.policy == "reward_model" and not s.agent:
        raise ConfigError("split.agent: required for policy reward_model (a file saved by "
                          "mbrl.request_model.RequestModel.save)")
