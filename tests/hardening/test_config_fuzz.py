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
from cosim.testing.fuzz import BASE, CELL_FIELDS, NAN, TEXT, cell, message_path, outside, session, set_path
from cosim.testing.runs import check_traces

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Real runs: a few examples, no shrinking (each try is a simulation; the failing config is printed whole).
RUNS = settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture])


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
    assert err.startswith(f"layersplit run: error: {message_path(field)}"), (field, err)
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
            set_path(cfg, dotted, value)
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


@FAST
@given(session(invalid=True))
def test_invalid_session_is_one_line_naming_the_field(tmp_path, capsys, drawn):
    cfg, field = drawn
    code, err = _cli_error(tmp_path, capsys, cfg)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"layersplit run: error: {message_path(field)}"), (field, err)


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
