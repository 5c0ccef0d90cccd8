"""The probes section through the config engine: every error names the probe's full key path."""

import pytest

from cosim.config.checks import ConfigError
from cosim.run.probes import parse_probes


@pytest.mark.parametrize("probes, message", [
    ("x", r"^probes: 'x' is not a list$"),
    ([{"bytes": 10}, 3], r"^probes\[1\]: 3 is not a mapping$"),
    ([{"bytez": 10}], r"^probes\[0\]\.bytez: unknown key \(allowed: direction, ue, bytes, period_ms"),
    ([{"bytes": True}], r"^probes\[0\]\.bytes: True is not an integer \(allowed: 1 <= x <= 100000000\)$"),
    ([{"bytes": 0}], r"^probes\[0\]\.bytes: 0 must be >= 1 \(allowed: 1 <= x <= 100000000\)$"),
    ([{}, {"period_ms": float("nan")}], r"^probes\[1\]\.period_ms: nan is not a number \(allowed: 1 <= x <= 1e\+09\)$"),
    ([{"start_s": -1}], r"^probes\[0\]\.start_s: -1 must be >= 0 \(allowed: 0 <= x <= 1000000\)$"),
    ([{"ue": 2}], r"^probes\[0\]\.ue: 2 is not 'all' or a UE index 0\.\.1$"),
    ([{"times_s": [float("inf")]}], r"^probes\[0\]\.times_s: \[inf\] is not a non-empty list of send times"),
])
def test_a_bad_probe_names_its_key_path(probes, message):
    with pytest.raises(ConfigError, match=message):
        parse_probes(probes, ue_count=2)


def test_probes_keep_their_defaults_and_values():
    plain, timed = parse_probes([{}, {"ue": 1, "bytes": 300, "times_s": [0.2, 0.1], "direction": "dl"}], ue_count=2)
    assert (plain.direction, plain.ues, plain.bytes, plain.period_ms, plain.start_s, plain.stop_s, plain.times_ms) \
        == ("ul", (0, 1), 10_000, 100.0, 0.5, float("inf"), ())
    assert (timed.direction, timed.ues, timed.bytes, timed.times_ms) == ("dl", (1,), 300, (100, 200))
    assert parse_probes(None, 2) == [] and parse_probes([{"times_s": None}], 1)[0].times_ms == ()
