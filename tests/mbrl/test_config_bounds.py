"""Every number of a training or paper config has both bounds (issue 29): a value outside them is
a one-line error naming the dotted key and the range, from the file's own parser, before anything
runs (it was 'ppo.learning_rate: -0.1' accepted, 'threads: 0' an internal error from torch, a
mask count an out-of-memory error naming no key). Real processes: `layersplit train` and `paper`."""

from __future__ import annotations

import dataclasses
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from mbrl.config import TrainConfig, bound_of, parse_config
from mbrl.paper_config import PaperConfig, parse_paper_config
from cosim.testing.runs import LAYERSPLIT

REPO = Path(__file__).resolve().parents[2]


def _numeric_fields(cls, path=""):
    """(class, field name, dotted key) of every number or list of numbers in a config tree."""
    for f in dataclasses.fields(cls):
        sub = f.default_factory if f.default_factory is not dataclasses.MISSING else None
        if sub is not None and dataclasses.is_dataclass(sub):
            yield from _numeric_fields(sub, f"{path}{f.name}.")
            continue
        kinds = {k.strip() for k in str(f.type).split("|")}
        default = f.default if f.default is not dataclasses.MISSING else None
        listed = isinstance(default, tuple) and any(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                    for x in default)
        if kinds & {"int", "float"} or listed:
            yield cls, f.name, path + f.name


@pytest.mark.parametrize("root", [TrainConfig, PaperConfig])
def test_every_number_has_both_bounds(root):
    fields = list(_numeric_fields(root))
    assert len(fields) > 30
    unbounded = [key for cls, name, key in fields if bound_of(cls, name) is None]
    assert unbounded == []
    for cls, name, key in fields:
        bound = bound_of(cls, name)
        assert bound.lo is not None and bound.hi is not None, key


@pytest.mark.parametrize("raw, message", [
    ({"ppo": {"learning_rate": -0.1}}, "ppo.learning_rate: -0.1 must be > 0 (allowed: 0 < x <= 1)"),
    ({"threads": 0}, "threads: 0 must be >= 1 (allowed: 1 <= x <= 1024)"),
    ({"threads": "lots"}, "threads: 'lots' is not an integer (allowed: 1 <= x <= 1024)"),
    ({"surrogate": {"members": 10**12}}, "surrogate.members: 1000000000000 must be <= 1000 (allowed: 2 <= x <= 1000)"),
    ({"traces": {"train_seeds": [1, 0]}}, "traces.train_seeds[1]: 0 must be >= 1 (allowed: 1 <= x <= 2147483647)"),
    ({"env": {"damaged_share": 1.5}}, "env.damaged_share: 1.5 must be <= 1 (allowed: 0 <= x <= 1)"),
    ({"reward": {"a": -1}}, "reward.a: -1 must be >= 0 (allowed: 0 <= x <= 1000000)"),
])
def test_a_training_value_out_of_bounds_names_its_key_and_range(raw, message):
    with pytest.raises(ValueError) as exc:
        parse_config(raw)
    assert str(exc.value) == message


@pytest.mark.parametrize("raw, message", [
    ({"bank": {"masks": 1_000_000_000}}, "bank.masks: 1000000000 must be <= 1000 (allowed: 2 <= x <= 1000)"),
    ({"threads": 0}, "threads: 0 must be >= 1 (allowed: 1 <= x <= 1024)"),
    ({"env": {"ks": [0, 2.5]}}, "env.ks[1]: 2.5 is not an integer (allowed: 0 <= x <= 10000)"),
    ({"learners": {"timesteps": 0}}, "learners.timesteps: 0 must be >= 1 (allowed: 1 <= x <= 1000000000)"),
    ({"reward": {"switch_weight": -2}}, "reward.switch_weight: -2 must be >= 0 (allowed: 0 <= x <= 1000000)"),
])
def test_a_paper_value_out_of_bounds_names_its_key_and_range(raw, message):
    with pytest.raises(ValueError) as exc:
        parse_paper_config(raw)
    assert str(exc.value) == message


def test_values_keep_their_spelling():
    """A bound checks, it does not convert: 10 stays 10 (configs are saved and hashed as written)."""
    cfg = parse_config({"reward": {"a": 10}, "traces": {"duration_s": 2}})
    assert type(cfg.reward.a) is int and type(cfg.traces.duration_s) is int


@pytest.mark.parametrize("command, example, change, message", [
    ("train", "examples/mbrl_quick.yaml", {"threads": 0}, "threads: 0 must be >= 1 (allowed: 1 <= x <= 1024)"),
    ("train", "examples/mbrl_quick.yaml", {"ppo": {"learning_rate": -0.1}},
     "ppo.learning_rate: -0.1 must be > 0 (allowed: 0 < x <= 1)"),
    ("paper", "examples/mbrl_paper.yaml", {"bank": {"masks": 1_000_000_000}},
     "bank.masks: 1000000000 must be <= 1000 (allowed: 2 <= x <= 1000)"),
])
def test_the_commands_refuse_it_in_one_line_before_running(tmp_path, command, example, change, message):
    raw = yaml.safe_load((REPO / example).read_text())
    for section, values in change.items():
        raw[section] = {**raw[section], **values} if isinstance(values, dict) else values
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    t0 = time.monotonic()
    p = subprocess.run([*LAYERSPLIT, command, str(cfg), "--out", str(tmp_path / "run")], capture_output=True,
                       text=True, timeout=300)
    assert (p.returncode, p.stderr) == (1, f"layersplit {command}: error: {message}\n")
    assert time.monotonic() - t0 < 60 and not (tmp_path / "run").exists()
