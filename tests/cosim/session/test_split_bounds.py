"""Every split point of a session is checked against the model's layers when the config is
validated, whatever the policy: a k the model does not have never reaches a run."""

import json
import subprocess
from pathlib import Path

import pytest

from cosim.config.checks import ConfigError
from cosim.session.config import parse_session
from cosim.testing.runs import LAYERSPLIT
from llm_split.layers import BUNDLED_LAYERS, layer_count

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "split_lte.yaml"


@pytest.mark.parametrize("split, message", [
    ({"policy": "fixed", "k": 31}, r"^split\.k: 31 is not in 0\.\.30 \(smollm2-135m has 30 layers"),
    ({"policy": "sinr_table", "k": 99, "table": [[10, 4]]}, r"^split\.k: 99 is not in 0\.\.30"),
    ({"policy": "sinr_table", "table": [[12, 4], [0, 99]]}, r"^split\.table\[1\]\[1\]: 99 is not in 0\.\.30"),
    ({"policy": "agent", "agent": "x", "k": 40}, r"^split\.k: 40 is not in 0\.\.30"),
])
def test_split_points_beyond_the_models_layers_are_refused(split, message):
    with pytest.raises(ConfigError, match=message):
        parse_session({"split": split})


def test_a_table_is_checked_as_written_then_sorted_best_first():
    cfg = parse_session({"split": {"policy": "sinr_table", "k": 30, "table": [[0, 12], [10, 4], [-100, 30]]}})
    assert cfg.split.table == ((10.0, 4), (0.0, 12), (-100.0, 30))


def test_a_local_model_folder_says_its_layers_in_config_json(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", "num_hidden_layers": 4}))
    assert layer_count(str(tmp_path)) == 4
    assert parse_session({"model": {"name": str(tmp_path)}, "split": {"k": 4}}).split.k == 4
    with pytest.raises(ConfigError, match=rf"^split\.k: 8 is not in 0\.\.4 \({tmp_path} has 4 layers"):
        parse_session({"model": {"name": str(tmp_path)}})  # the default k, 8
    (tmp_path / "config.json").write_text(json.dumps({"text_config": {"n_layer": 6}}))
    assert layer_count(str(tmp_path)) == 6
    (tmp_path / "config.json").write_text("{not json")
    assert layer_count(str(tmp_path)) is None  # checked once the model loads
    assert layer_count(str(tmp_path / "missing")) is None


def test_the_bundled_models_count_is_its_config(tmp_path):
    from llm_split.model import DEFAULT_MODEL, cache_folder

    assert set(BUNDLED_LAYERS) == {DEFAULT_MODEL}
    converted = cache_folder(DEFAULT_MODEL, "float32") / "config.json"
    if converted.is_file():  # converted on the first session run (the test suite's first)
        assert json.loads(converted.read_text())["num_hidden_layers"] == BUNDLED_LAYERS[DEFAULT_MODEL]


def test_layersplit_run_refuses_it_before_anything_starts(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run([*LAYERSPLIT, "run", str(EXAMPLE), "--set", "split.policy=sinr_table", "--set", "split.k=99",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("layersplit run: error: split.k: 99 is not in 0..30"), done.stderr
    assert not out.exists()
