import json

import numpy as np
import pytest

from mbrl.config import parse_config
from mbrl.train import train

from conftest import SyntheticDataset

TINY = {"seed": 3, "reward": {"a": 1.0, "b": 1.0}, "surrogate": {"budget": 120, "init": 60, "batch": 30, "epochs": 400, "lr": 0.01, "members": 3, "hidden": 32},
        "env": {"action_mode": "direct", "episode_len": 10, "start_k": 15},
        "ppo": {"timesteps": 6144, "n_steps": 256, "batch_size": 64, "eval_every": 3072, "learning_rate": 1e-3},
        "model_free": {"timesteps": 512}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cfg = parse_config(TINY)
    out = tmp_path_factory.mktemp("run")
    a = train(cfg, out=out, ds=SyntheticDataset())
    b = train(cfg, ds=SyntheticDataset())
    return a, b, out


def test_training_with_a_seed_is_reproducible(runs):
    a, b, _ = runs
    def results(m):  # wall times are measurements, everything else must repeat exactly
        return [{k: v for k, v in p.items() if k != "wall_s"} for p in m["mbrl"]["curve"] + m["model_free"]["curve"]]

    assert results(a) == results(b)
    assert json.dumps(a["comparison"], sort_keys=True) == json.dumps(b["comparison"], sort_keys=True)
    assert a["surrogate"]["mae_q"] == b["surrogate"]["mae_q"]


def test_agent_beats_random_and_every_fixed_k(runs):
    table = runs[0]["comparison"]
    agent = table["mbrl_ppo"]["mean_reward"]
    assert agent > table["random"]["mean_reward"]
    fixed = {n: r["mean_reward"] for n, r in table.items() if n.startswith("fixed_k")}
    assert len(fixed) == 31 and agent > max(fixed.values()), (agent, max(fixed.items(), key=lambda kv: kv[1]))
    assert table["oracle"]["mean_reward"] >= agent


def test_real_evaluations_are_counted(runs):
    m = runs[0]
    assert m["mbrl"]["real_evals"] == m["surrogate"]["real_evals"] == 120
    assert m["model_free"]["real_evals"] == 512  # one per PPO step
    assert m["surrogate"]["charged_eval_s"] == pytest.approx(120 * 0.1)


def test_run_folder(runs):
    out = runs[2]
    for name in ("config.yaml", "metrics.json", "agent.zip", "agent.json", "surrogate.pt", "curves.png", "comparison.md"):
        assert (out / name).is_file(), name
    assert "mbrl_ppo" in json.loads((out / "metrics.json").read_text())["comparison"]


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match=r"ppo.epochs: unknown key; allowed: .*timesteps"):
        parse_config({"ppo": {"epochs": 3}})
    with pytest.raises(ValueError, match="traces.variants: 'moon' is not one of"):
        parse_config({"traces": {"variants": ["moon"]}})
