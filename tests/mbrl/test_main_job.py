"""The main job (`make run`) serves the agent in the cell and with the requests it was trained on:
examples/split_agent.yaml is mbrl's training variant and evaluator written as a scenario."""
from pathlib import Path

import yaml

from mbrl.config import load_config
from mbrl.traces import DEFAULT_VARIANTS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_split_agent_is_the_training_cell_with_the_training_requests():
    scenario = yaml.safe_load((EXAMPLES / "split_agent.yaml").read_text())
    cfg = load_config(EXAMPLES / "mbrl_interleave.yaml")
    ev = cfg.evaluator
    assert "ld30_walk_vehicle" in cfg.traces.variants
    for key, value in DEFAULT_VARIANTS["ld30_walk_vehicle"].items():
        assert scenario[key] == value, key
    assert scenario["seed"] in cfg.traces.test_seeds  # a held-out channel
    model, requests = scenario["model"], scenario["requests"]
    assert (model["name"], model["wire_dtype"], model["fill"], model["sink_row"], model["interleave"]) == \
        (ev.model, ev.wire_dtype, ev.fill, ev.sink_row, ev.interleave)
    assert not ev.protect and "protect" not in model
    assert (requests["prompt_tokens"], requests["windows"], requests["corpus"]) == \
        (ev.prompt_tokens, ev.n_windows, ev.corpus)
    assert requests["deadline_ms"] == cfg.traces.deadline_ms
    assert requests["rate_per_s"] == 1000.0 / cfg.traces.period_ms
    assert scenario["transfer"]["payload_bytes"] == ev.payload_bytes
    assert scenario["split"]["policy"] == "agent"
