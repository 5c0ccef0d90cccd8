"""A run's saved config.yaml runs again as it is: its settings load back to the same resolved
config, and the ``derived`` section (what the settings resolved to) is recomputed, never read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cosim.radio.scenario import load_any, resolved
from cosim.run.rundir import CONFIG_FILE, RunRecord
from cosim.config.checks import ConfigError
from cosim.session.runner import saved_config
from cosim.session.config import SECTIONS, parse_session

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SCENARIOS = sorted(p for p in EXAMPLES.glob("*.yaml") if p.name.startswith(("lte_", "nr_", "split_")))


def _saved(path: Path) -> dict:
    sc = load_any(path, extra_sections=SECTIONS)
    return saved_config(sc, parse_session(sc.extra)) if path.name.startswith("split_") else resolved(sc)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_saved_config_loads_back_to_itself(tmp_path, path):
    for run in "ab":
        (tmp_path / run).mkdir()
    RunRecord(tmp_path / "a", _saved(path), seed=1)
    RunRecord(tmp_path / "b", _saved(tmp_path / "a" / CONFIG_FILE), seed=1)
    text = (tmp_path / "a" / CONFIG_FILE).read_text()
    assert (tmp_path / "b" / CONFIG_FILE).read_text() == text
    assert yaml.safe_load(text)["derived"]["ue_groups"][0]["initial_positions"]


def test_derived_is_recomputed_and_must_be_a_mapping(tmp_path):
    saved = _saved(EXAMPLES / "lte_urban.yaml")
    path = tmp_path / "config.yaml"
    saved["derived"]["radio"]["ul_earfcn"] = 1  # not read: the run derives it again
    path.write_text(yaml.safe_dump(saved))
    assert resolved(load_any(path))["derived"]["radio"]["ul_earfcn"] == 18100
    path.write_text(yaml.safe_dump({**saved, "derived": 5}))
    with pytest.raises(ConfigError, match="derived: 5 is not a mapping"):
        load_any(path)


def test_compare_names_settings_not_what_they_resolved_to():
    from cosim.outputs.compare import differences

    a = _saved(EXAMPLES / "lte_urban.yaml")
    b = {**a, "seed": a["seed"] + 1, "derived": {**a["derived"], "ue_groups": []}}
    assert differences([a, b]) == ["seed"]
    assert differences([a, {**a, "split": {"k": 3}}]) == []
