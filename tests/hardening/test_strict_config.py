"""Strict config loading: what the YAML parser lets through is refused, naming the file or key."""

from __future__ import annotations

import time

import pytest

from cosim.config.checks import MAX_FILE_BYTES, MAX_YAML_NODES, ConfigError, load_yaml
from cosim.radio.scenario import ProgramScenario, load_any
from cosim.radio.lte.schema import load_scenario
from cosim.session.config import parse_session

CELL = "name: t\nduration_s: 0.3\nseed: 1\nue_groups: [{count: 1}]\n"


def _write(tmp_path, text, name="c.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,message", [
    ("", "the file is empty"),
    ("# only a comment\n", "the file is empty"),
    ("- a\n- b\n", "the top level must be a mapping"),
    ("name: [unclosed\n", "line 2, column 1: not valid YAML"),
    (CELL + "seed: 2\n", "line 5, column 1: not valid YAML: duplicate key 'seed' (first given at line 3)"),
    ("radio: {harq: true, harq: false}\n", "duplicate key 'harq'"),
])
def test_bad_files_name_the_file_and_line(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_scenario(path)
    assert str(exc.value).startswith(f"{path}: ") and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_binary_and_missing_files(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00name: x")
    with pytest.raises(ConfigError, match="not a UTF-8 text file"):
        load_yaml(path)
    with pytest.raises(ConfigError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is not a file"):
        load_yaml(tmp_path)


@pytest.mark.parametrize("name", ["a\nb", "../../x", "a/b", "..", ".hidden", "-x", "", "x" * 65, 5, "a b"])
def test_names_are_safe_for_folders_and_program_configs(tmp_path, name):
    with pytest.raises(ConfigError, match=r"^name: .* is not a safe name"):
        load_scenario(_write(tmp_path, CELL), {"name": name})


@pytest.mark.parametrize("key,value,message", [
    ("ue_groups.0.mobility.heading_deg", 1e9, "must be <= 360"),
    ("ue_groups.0.placement.radius_max_m", 1e12, "must be <= 100000"),
    ("ue_groups.0.traffic.start_s", 1e30, "must be <= 1000000"),
    ("ue_groups.0.placement.center", [1e300, 0], "center[0]: 1e+300 must be <= 1000000"),
    ("ue_groups.7.count", 2, "ue_groups.7: no item '7' in a list of 1"),
    ("radio.scheduler", ["pf"], "radio.scheduler: ['pf'] is not one of"),
])
def test_every_number_is_bounded_and_overrides_are_checked(tmp_path, key, value, message):
    with pytest.raises(ConfigError) as exc:
        load_scenario(_write(tmp_path, CELL), {key: value})
    assert message in str(exc.value)


@pytest.mark.parametrize("section,value,message", [
    ("model", {"protect": [70000]}, "model.protect[0]: 70000 must be <= 65535"),
    ("split", {"k": 10**6}, "split.k: 1000000 must be <= 1024"),
    ("requests", {"times_s": [1e12]}, "requests.times_s[0]: 1000000000000.0 must be <= 1000000"),
    ("model", {"name": "a\nb"}, "model.name: 'a\\nb'... must be one line"),
    ("model", {"interleave": "on"}, "model.interleave"),
    ("model", {"interleave": True, "wire_dtype": "int8"}, "model.interleave: true needs a float model.wire_dtype"),
])
def test_session_fields_are_bounded(section, value, message):
    with pytest.raises(ConfigError) as exc:
        parse_session({section: value})
    assert message in str(exc.value)


def test_cache_dir_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ConfigError, match=rf"model.cache_dir: .* is not a folder \({f} is a file\)"):
        parse_session({"model": {"cache_dir": str(f / "sub")}})


def test_overrides_apply_the_same_way_to_program_scenarios(tmp_path):
    path = _write(tmp_path, "name: own\nduration_s: 1\nprogram: {path: /bin/true, ues: 2}\n")
    sc = load_any(path, overrides={"transfer.payload_bytes": 600, "program.ues": 3})
    assert isinstance(sc, ProgramScenario) and sc.transfer.payload_bytes == 600 and sc.ue_count == 3
    with pytest.raises(ConfigError, match="transfer.payload_bytes: 5000 must be <= 1400"):
        load_any(path, overrides={"transfer.payload_bytes": 5000})
    with pytest.raises(ConfigError, match="is not a safe name"):
        load_any(path, overrides={"name": "../x"})
    cell = load_any(_write(tmp_path, CELL, "cell.yaml"), overrides={"transfer.payload_bytes": 600})
    assert cell.transfer.payload_bytes == 600


def test_anchors_still_work_for_repeated_groups(tmp_path):
    text = ("name: t\nue_groups:\n  - &g {count: 1, placement: {kind: disc, radius_max_m: 50}}\n"
            "  - *g\n")
    assert load_scenario(_write(tmp_path, text)).ue_count == 2


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["name: t", 'l0: &l0 ["lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_stops_while_it_is_parsed(tmp_path):
    path = _write(tmp_path, _alias_bomb())  # 9^9 = 387 million nodes once expanded
    t0 = time.perf_counter()
    with pytest.raises(ConfigError) as exc:
        load_scenario(path)
    assert time.perf_counter() - t0 < 1.0
    assert str(exc.value).startswith(f"{path}: line 8, ") and f"more than {MAX_YAML_NODES} nodes" in str(exc.value)


def test_the_node_budget_leaves_room_for_real_configs(tmp_path):
    text = _alias_bomb(levels=5, width=9)  # 9^5 = 59,049 leaves: a long list, far below the budget
    assert len(load_yaml(_write(tmp_path, text))["l5"]) == 9


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "w") as f:
        f.write("name: t\nl: [")
        f.write("1, " * 20_000_000)  # 60 MB: about a minute of parsing
        f.write("]\n")
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match=rf"^{path}: \d+ bytes; a scenario file is at most {MAX_FILE_BYTES} \(4 MiB\)$"):
        load_scenario(path)
    assert time.perf_counter() - t0 < 0.5


def test_every_user_yaml_reader_is_the_strict_one(tmp_path):
    """Kind detection (`layersplit run`), --set values and a run's config.yaml read back."""
    from cosim.outputs.traces import enb_position
    from cosim.run.dispatch import config_kind, parse_sets

    bomb = _write(tmp_path, _alias_bomb(), "bomb.yaml")
    assert config_kind(_write(tmp_path, CELL)) == "cell"  # imports done before the clock starts
    t0 = time.perf_counter()
    assert config_kind(bomb) == "cell"  # unreadable: the scenario loader then says why
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(ConfigError, match=r"^--set radio: line 1, column 11: not valid YAML: duplicate key 'harq'"):
        parse_sets(["radio={harq: 1, harq: 2}"])
    (tmp_path / "run").mkdir()
    _write(tmp_path / "run", _alias_bomb(), "config.yaml")
    with pytest.raises(ConfigError, match="nodes once aliases are expanded"):
        enb_position(tmp_path / "run")


@pytest.mark.parametrize("spelling,value", [("1e12", 1e12), ("-2.5E-3", -2.5e-3), ("1_000e2", 1e5), (".5e1", 5.0)])
def test_exponent_floats_are_numbers_as_yaml_1_2_reads_them(tmp_path, spelling, value):
    assert load_yaml(_write(tmp_path, f"x: {spelling}\n"))["x"] == value
    with pytest.raises(ConfigError, match=r"^duration_s: 1000000000000.0 must be <= 1000000.0 \(allowed: 0 < x <= 1000000\)$"):
        load_scenario(_write(tmp_path, CELL.replace("0.3", "1e12")))


def test_a_quoted_number_is_refused_saying_it_is_text(tmp_path):
    with pytest.raises(ConfigError, match=r"^duration_s: '2' is not a number \(it is text: write it without quotes\)$"):
        load_scenario(_write(tmp_path, CELL.replace("0.3", "'2'")))
