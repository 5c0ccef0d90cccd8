"""The named objectives and the reward of a live session's requests."""
import math

import numpy as np
import pandas as pd
import pytest

from mbrl.config import parse_config
from mbrl.paper_config import parse_paper_config
from mbrl.reward import OBJECTIVES, RewardConfig, named

L = 30


def requests(**cols) -> pd.DataFrame:
    """Three requests of two UEs, in arrival order 1, 0, 2 (UE 0 sends the first and the third)."""
    base = {"ue": [0, 1, 0], "t_arrival_s": [0.5, 0.7, 1.5], "k": [0, 30, 15], "ppl": [20.0, 10.0, 10.0],
            "ppl_clean": [10.0, 10.0, 10.0], "ttft_s": [0.05, 0.2, 0.1], "ue_compute_j": [0.0, 0.5, 0.2],
            "ue_radio_j": [1.0, 0.0, 0.3], "met_target": [1.0, 0.0, 1.0]}
    return pd.DataFrame({**base, **cols}, index=[10, 11, 12])


def test_each_term_of_a_request_reward_is_worked_by_hand():
    r = RewardConfig(a=2.0, b=3.0, latency_weight=4.0, energy_weight=5.0, miss_weight=6.0, switch_weight=7.0,
                     quality="log").of_requests(requests(), L)
    q0 = math.log(10 / 20)
    want = [2 * q0 + 3 * 1.0 - 4 * 0.05 - 5 * 1.0 - 0 - 0,          # first request of UE 0: no move
            0 + 0 - 4 * 0.2 - 5 * 0.5 - 6 * 1 - 0,                     # UE 1's only request, missed
            0 + 3 * 15 / 30 - 4 * 0.1 - 5 * 0.5 - 0 - 7 * 15 / 30]    # UE 0 moved 0 -> 15
    np.testing.assert_allclose(r, want)


def test_the_same_requests_in_another_order_get_the_same_rewards():
    req = requests()
    cfg = RewardConfig(switch_weight=1.0, energy_weight=1.0)
    shuffled = req.iloc[[2, 0, 1]]
    np.testing.assert_allclose(cfg.of_requests(shuffled, L), cfg.of_requests(req, L)[[2, 0, 1]])
    np.testing.assert_allclose(cfg.of_requests(req.set_axis([0, 0, 0]), L), cfg.of_requests(req, L))  # any index


def test_named_objectives_and_overrides():
    assert named("paper") == RewardConfig(a=10.5, b=1.0, quality="ratio")
    le = named("latency_energy", energy_weight=2.0)
    assert (le.b, le.latency_weight, le.energy_weight, le.miss_weight) == (0.0, 1.0, 2.0, 1.0)
    assert set(OBJECTIVES) >= {"paper", "default", "latency", "latency_energy"}
    with pytest.raises(ValueError, match=r"reward\.objective: 'fast' is not one of paper, default"):
        named("fast")


def test_misses_need_a_target():
    req = requests(met_target=[np.nan] * 3)
    assert np.isfinite(named("paper").of_requests(req, L)).all()
    with pytest.raises(ValueError, match=r"reward\.miss_weight: .*requests\.ttft_target_ms"):
        named("latency").of_requests(req, L)


def test_yaml_objective_expands_and_keys_override():
    cfg = parse_config({"reward": {"objective": "paper", "b": 2.0}})
    assert cfg.reward == RewardConfig(a=10.5, b=2.0, quality="ratio")
    with pytest.raises(ValueError, match=r"reward\.objective: 'nope' is not one of"):
        parse_config({"reward": {"objective": "nope"}})


@pytest.mark.parametrize("parse", [parse_config, parse_paper_config])
def test_training_on_tables_refuses_terms_they_do_not_carry(parse):
    with pytest.raises(ValueError, match=r"reward\.energy_weight: 1\.0 must be 0 for a reward scored per step"):
        parse({"reward": {"objective": "latency_energy"}})
    with pytest.raises(ValueError, match=r"reward\.miss_weight: 1\.0 must be 0"):
        parse({"reward": {"miss_weight": 1.0}})
