"""`layersplit profile`'s options take their defaults from ProfileConfig, typed once, and its checks
from the config engine that checks scenarios."""
import argparse
import dataclasses

import pytest

import llm_split.cli as cli
from llm_split.profile import ProfileConfig


def _parser():
    parser = argparse.ArgumentParser(prog="layersplit")
    return parser, cli.register(parser.add_subparsers())


def test_every_field_is_an_option_and_unset_options_take_the_dataclass_defaults():
    parser, sub = _parser()
    dests = {a.dest for a in sub._actions}
    assert {f.name for f in dataclasses.fields(ProfileConfig)} <= dests
    assert cli._config(parser.parse_args(["profile"])) == ProfileConfig()
    args = parser.parse_args(["profile", "--window", "64", "--sink", "--ks", "all", "--ps", "0,0.5"])
    assert cli._config(args) == ProfileConfig(window=64, sink_row=True, ps=(0.0, 0.5))


def test_help_shows_the_dataclass_defaults():
    _, sub = _parser()
    text = " ".join(sub.format_help().split())
    for option, default in (("--window", 256), ("--seed", 0), ("--ci-target", 0.1), ("--out", "profile_out"),
                            ("--ps", "0.0,0.01,0.05,0.1,0.2,0.3")):
        assert f"(default {default})" in text, option


@pytest.mark.parametrize("field, value, message", [
    ("seeds", 0, "seeds: 0 must be >= 1"),
    ("max_seeds", 2, r"max_seeds: 2 must be >= seeds \(3\)"),
    ("ci_target", 0, "ci_target: 0 must be > 0"),
    ("wire_dtype", "f8", "wire_dtype: 'f8' is not one of"),
    ("fill", "median", "fill: 'median' is not one of"),
    ("window", 0, "window: 0 must be >= 1"),
    ("stride", 10**6, "stride: 1000000 must be <= 32768"),
    ("tensor_bytes", 8, "tensor_bytes: 8 must be >= 16"),
    ("ps", (0.1, 1.5), r"ps\[1\]: 1.5 must be <= 1"),
    ("modes", ("element", "gauss"), r"modes\[1\]: 'gauss' is not one of"),
])
def test_profile_config_errors_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        ProfileConfig(**{field: value})


def test_the_wire_check_across_keys_is_the_sessions():
    assert ProfileConfig(interleave=True).interleave
    with pytest.raises(ValueError, match="^interleave: true needs a float wire_dtype"):
        ProfileConfig(interleave=True, wire_dtype="int8")


def test_payload_bytes_is_the_deprecated_name_of_tensor_bytes(capsys):
    parser, _ = _parser()
    assert cli._config(parser.parse_args(["profile", "--payload-bytes", "512"])).tensor_bytes == 512
    assert "--payload-bytes is deprecated" in capsys.readouterr().err
    with pytest.raises(ValueError, match="give only --tensor-bytes"):
        cli._config(parser.parse_args(["profile", "--payload-bytes", "512", "--tensor-bytes", "256"]))
