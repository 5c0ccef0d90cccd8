"""A sweep file through the config engine: strict YAML, and errors naming the key."""

import subprocess

import pytest

from cosim.config.checks import ConfigError
from cosim.sweep.runner import load_sweep
from cosim.testing.runs import LAYERSPLIT


def _sweep(tmp_path, text: str):
    (tmp_path / "base.yaml").write_text("name: b\n")
    (tmp_path / "s.yaml").write_text(text)
    return load_sweep(tmp_path / "s.yaml")


@pytest.mark.parametrize("text, message", [
    ("base: base.yaml\nworkers: 0\n", r"^workers: 0 must be >= 1 \(allowed: 1 <= x <= 4096\)$"),
    ("base: base.yaml\nworkers: 1.5\n", r"^workers: 1.5 is not an integer \(allowed: 1 <= x <= 4096\)$"),
    ("base: base.yaml\nworkers: many\n", r"^workers: 'many' is not an integer \(allowed: 1 <= x <= 4096\)$"),
    ("base: base.yaml\nworkers: -3\n", r"^workers: -3 must be >= 1 \(allowed: 1 <= x <= 4096\)$"),
    ("base: base.yaml\nworkers: 5000\n", r"^workers: 5000 must be <= 4096 \(allowed: 1 <= x <= 4096\)$"),
    ("base: base.yaml\nthreads: lots\n", r"^threads: 'lots' is not an integer \(allowed: 1 <= x <= 1024\)$"),
    ("base: base.yaml\nthreads: 0\n", r"^threads: 0 must be >= 1 \(allowed: 1 <= x <= 1024\)$"),
    ("base: base.yaml\nseed: true\n", r"^seed: True is not an integer \(allowed: 0 <= x <= 9223372036854775807\)$"),
    ("base: base.yaml\nexecutor: slurm\n", r"^executor: 'slurm' is not one of local, ray$"),
    ("base: base.yaml\ngrid: {radio.rlc_mode: []}\n", r"^grid\.radio\.rlc_mode: expected a non-empty list of values$"),
    ("base: base.yaml\nworker: 2\n", r"^worker: unknown key \(allowed: base, seed, set, grid, points"),
    ("seed: 3\n", r"^base: required"),
    ("base: missing.yaml\n", r"^base: .*missing\.yaml is not a file$"),
    ("base: base.yaml\nseed: 1\nseed: 2\n", r"s\.yaml: line 3, column 1: not valid YAML: duplicate key 'seed'"),
    ("base: base.yaml\ngrid: {seed: [1]}\ngrid: {seed: [2]}\n", r"duplicate key 'grid'"),
    ("base: /etc/passwd\nbase: base.yaml\n", r"duplicate key 'base'"),
])
def test_a_bad_sweep_file_names_its_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        _sweep(tmp_path, text)


def test_a_sweep_file_keeps_its_defaults(tmp_path):
    spec = _sweep(tmp_path, "base: base.yaml\ngrid: {seed: [1, 2]}\nworkers: null\n")
    assert spec.base == (tmp_path / "base.yaml").resolve() and spec.grid == {"seed": [1, 2]}
    assert (spec.seed, spec.set, spec.points, spec.executor, spec.workers, spec.address, spec.threads) \
        == (1, {}, [], "local", None, None, 1)


@pytest.mark.parametrize("flags, message", [
    (["--workers", "0"], "--workers: 0 must be >= 1 (allowed: 1 <= x <= 4096)"),
    (["--workers", "-3"], "--workers: -3 must be >= 1 (allowed: 1 <= x <= 4096)"),
])
def test_the_command_line_flags_are_checked_as_the_file_is(tmp_path, flags, message):
    _sweep(tmp_path, "base: base.yaml\n")
    done = subprocess.run([*LAYERSPLIT, "sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"), *flags],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.strip() == f"layersplit sweep: error: {message}", done.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()
