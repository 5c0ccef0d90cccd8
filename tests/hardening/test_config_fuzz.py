"""Property-based tests (hypothesis) over scenario, session and training configs: every invalid
one gets a one-line error naming its field and no traceback; every valid one the estimate admits
runs a short real simulation. Example counts are small: the suite runs on 2 cores."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from cosim.config.checks import ConfigError
from cosim.cli import main
from cosim.radio.lte.schema import BANDWIDTHS, PROPAGATION_MODELS, SCHEDULERS
from cosim.session.config import WIRE_DTYPES
from cosim.testing.runs import check_traces

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Real runs: a few examples, no shrinking (each try is a simulation; the failing config is printed whole).
RUNS = settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture])

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


def _set(cfg: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = cfg
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _message_path(dotted: str) -> str:
    """ue_groups.0.count -> ue_groups[0].count (how errors name list items)."""
    out = ""
    for part in dotted.split("."):
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


@st.composite
def cell(draw, invalid: bool):
    cfg = json.loads(json.dumps(BASE))
    fields = draw(st.lists(st.sampled_from(sorted(CELL_FIELDS)), min_size=1, max_size=5, unique=True))
    for f in fields[1:] if invalid else fields:
        _set(cfg, f, draw(CELL_FIELDS[f][0]))
    if invalid:
        _set(cfg, fields[0], draw(CELL_FIELDS[fields[0]][1]))
    return cfg, fields[0]


def _cli_error(tmp_path, capsys, cfg: dict) -> tuple[int, str]:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out), "--no-progress"])
    return code, capsys.readouterr().err


@FAST
@given(cell(invalid=True))
def test_invalid_cell_is_one_line_naming_the_field(tmp_path, capsys, drawn):
    cfg, field = drawn
    code, err = _cli_error(tmp_path, capsys, cfg)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"layersplit run: error: {_message_path(field)}"), (field, err)
    assert not (tmp_path / "out").exists()


JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
                       lambda inner: st.one_of(st.lists(inner, max_size=3),
                                               st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)
ANY_PATH = st.sampled_from(sorted(CELL_FIELDS) + ["radio", "channel", "ue_groups", "ue_groups.0", "probes",
                                                   "model", "requests", "split", "edge_server", "ue_device",
                                                   "channel.fading", "ue_groups.0.placement", "bogus"])


@FAST
@given(st.lists(st.tuples(ANY_PATH, JSONISH), min_size=1, max_size=4))
def test_anything_at_any_key_is_accepted_or_a_config_error(tmp_path, changes):
    """No input makes the loaders fail any other way (TypeError, KeyError, ... would be tracebacks)."""
    from cosim.run.cell_run import check_cell
    from cosim.run.estimate import check_session
    from cosim.radio.scenario import load_any
    from cosim.session.config import SECTIONS, parse_session

    cfg = json.loads(json.dumps(BASE))
    for dotted, value in changes:
        try:
            _set(cfg, dotted, value)
        except (IndexError, TypeError, AttributeError, KeyError, ValueError):
            pass  # the path does not exist in this shape any more
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    try:
        sc = load_any(path, extra_sections=SECTIONS)
        check_cell(sc)
        check_session(sc, parse_session(sc.extra))
    except ConfigError as exc:
        assert "\n" not in str(exc) and str(exc)


@RUNS
@given(cell(invalid=False))
@example(drawn=({"name": "fz", "duration_s": 0.1, "seed": 2_147_483_647,  # a subnormal float the schema admits
                 "ue_groups": [{"count": 1, "placement": {"kind": "disc", "radius_min_m": 10, "radius_max_m": 50}}],
                 "edge": {"backhaul_delay_ms": 2.225073858507e-311}}, "edge.backhaul_delay_ms"))
def test_valid_admitted_cell_runs(tmp_path_factory, drawn):
    from cosim.run.cell_run import run_scenario_file
    from cosim.run.cell_run import check_cell
    from cosim.radio.scenario import load_any

    cfg, _ = drawn
    tmp = tmp_path_factory.mktemp("run")
    path = tmp / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    sc = load_any(path, extra_sections=("probes",))
    check_cell(sc)  # admitted
    run = run_scenario_file(path, out=tmp / "run", progress=False)
    assert json.loads((run / "meta.json").read_text())["status"] == "ok"
    assert check_traces(run) == sc.ue_count * math.ceil(sc.duration_s * 1000 - 1e-9)  # slots starting before the end


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
    cfg = json.loads(json.dumps(SESSION_BASE))
    fields = draw(st.lists(st.sampled_from(sorted(SESSION_FIELDS)), min_size=1, max_size=4, unique=True))
    for f in fields[1:] if invalid else fields:
        _set(cfg, f, draw(SESSION_FIELDS[f][0]))
    if invalid:
        _set(cfg, fields[0], draw(SESSION_FIELDS[fields[0]][1]))
    return cfg, fields[0]  # times_s (kept) wins over rate_per_s: every valid session has requests


@FAST
@given(session(invalid=True))
def test_invalid_session_is_one_line_naming_the_field(tmp_path, capsys, drawn):
    cfg, field = drawn
    code, err = _cli_error(tmp_path, capsys, cfg)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"layersplit run: error: {_message_path(field)}"), (field, err)


@settings(RUNS, max_examples=2)
@given(session(invalid=False))
def test_valid_admitted_session_runs(tmp_path_factory, drawn):
    import pandas as pd

    from cosim.session.runner import run_session_file

    cfg, _ = drawn
    tmp = tmp_path_factory.mktemp("session")
    path = tmp / "s.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run = run_session_file(path, out=tmp / "run", progress=False)
    assert json.loads((run / "meta.json").read_text())["status"] == "ok"
    check_traces(run)
    assert len(pd.read_parquet(run / "requests.parquet")) >= 1


TRAIN_FIELDS = {
    "ppo.timesteps": (st.integers(1024, 100_000), outside(0, 1e9, integer=True)),
    "ppo.learning_rate": (st.floats(1e-5, 1e-2), st.one_of(NAN, TEXT, st.floats(min_value=1e10))),
    "surrogate.budget": (st.integers(100, 1000), outside(0, 1e9, integer=True)),
    "surrogate.acquisition": (st.sampled_from(["columns"]), st.one_of(st.integers(), st.booleans())),
    "env.action_mode": (st.sampled_from(["moves", "direct"]), TEXT.filter(lambda s: s not in ("moves", "direct"))),
    "seed": (st.integers(0, 1000), outside(0, 1e9, integer=True)),
    "reward.a": (st.floats(0, 20), st.one_of(NAN, TEXT, st.booleans())),
    "ppo.seeds": (st.integers(1, 3), outside(1, 1e9, integer=True)),
}


@FAST
@given(st.sampled_from(sorted(TRAIN_FIELDS)).flatmap(lambda f: st.tuples(st.just(f), TRAIN_FIELDS[f][1])))
def test_invalid_training_config_names_the_field(drawn):
    from mbrl.config import parse_config

    field, value = drawn
    section, _, key = field.rpartition(".")
    raw = {section: {key: value}} if section else {key: value}
    with pytest.raises(ValueError) as exc:
        parse_config(raw)
    assert str(exc.value).startswith(f"{field}: ") and "\n" not in str(exc.value), str(exc.value)


@FAST
@given(st.lists(st.sampled_from(sorted(TRAIN_FIELDS)), min_size=1, max_size=4, unique=True).flatmap(
    lambda fs: st.tuples(*[st.tuples(st.just(f), TRAIN_FIELDS[f][0]) for f in fs])))
def test_valid_training_config_parses(drawn):
    """(Training itself takes minutes: tests/mbrl runs it; here the valid configs must load.)"""
    from mbrl.config import parse_config, to_dict

    raw: dict = {}
    for field, value in drawn:
        section, _, key = field.rpartition(".")
        (raw.setdefault(section, {}) if section else raw)[key] = value
    if raw.get("ppo", {}).get("timesteps", 30_000) < 512:
        raw["ppo"]["n_steps"] = 2
    cfg = to_dict(parse_config(raw))
    for field, value in drawn:
        section, _, key = field.rpartition(".")
        assert (cfg[section] if section else cfg)[key] == value
