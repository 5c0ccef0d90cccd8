"""`layersplit run CFG --set KEY=VALUE`: overrides go through the config loader, on a real ns-3 run."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from cosim.cli import main
from cosim.run.dispatch import config_kind, nested, parse_sets
from cosim.config.checks import ConfigError

CELL = {
    "name": "ov", "duration_s": 0.3, "seed": 1,
    "radio": {"bandwidth_rbs": 25, "rlc_mode": "UM"},
    "ue_groups": [{"count": 1, "placement": {"kind": "disc", "radius_min_m": 20, "radius_max_m": 100}}],
}


def test_values_are_yaml_scalars_and_keys_stay_dotted():
    got = parse_sets(["radio.rlc_mode=AM", "ue_groups.0.count=8", "duration_s=1.5", "radio.harq=false",
                      "x.y=[1, 2]", "name=a=b"])
    assert got == {"radio.rlc_mode": "AM", "ue_groups.0.count": 8, "duration_s": 1.5, "radio.harq": False,
                   "x.y": [1, 2], "name": "a=b"}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_sets(["radio.rlc_mode"])
    assert nested({"surrogate.budget": 600, "seed": 2}) == {"surrogate": {"budget": 600}, "seed": 2}


def test_config_kinds(tmp_path):
    cell = tmp_path / "cell.yaml"
    cell.write_text(yaml.safe_dump(CELL))
    session = tmp_path / "session.yaml"
    session.write_text(yaml.safe_dump({**CELL, "split": {"policy": "fixed", "k": 3}}))
    train = tmp_path / "train.yaml"
    train.write_text(yaml.safe_dump({"seed": 0, "surrogate": {"budget": 10}}))
    assert [config_kind(p) for p in (cell, session, train)] == ["cell", "session", "training"]


def test_set_reaches_the_saved_config_and_the_traces(tmp_path):
    cfg = tmp_path / "cell.yaml"
    cfg.write_text(yaml.safe_dump(CELL))
    out = tmp_path / "run"
    assert main(["run", str(cfg), "--out", str(out), "--no-progress", "--set", "radio.rlc_mode=AM",
                 "--set", "ue_groups.0.count=3", "--set", "seed=4"]) == 0
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["radio"]["rlc_mode"] == "AM" and saved["seed"] == 4
    assert sorted(pd.read_parquet(out / "slots.parquet")["ue"].unique()) == [0, 1, 2]


def test_unknown_key_gives_the_loaders_one_line_error(tmp_path, capsys):
    cfg = tmp_path / "cell.yaml"
    cfg.write_text(yaml.safe_dump(CELL))
    assert main(["run", str(cfg), "--out", str(tmp_path / "run"), "--set", "radio.rlc_modee=AM"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("layersplit run: error: radio.rlc_modee: unknown key") and "\n" not in err
    assert not (tmp_path / "run").exists()  # refused before anything ran
