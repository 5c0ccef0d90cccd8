"""The split policy learned from live requests: its reward model, its decision states, and the
policy inside a live session."""

import numpy as np
import pandas as pd
import pytest
import yaml

from mbrl.features import N_FEATURES
from mbrl.request_model import KNOWN, RequestModel, decision_states, known
from mbrl.surrogate import SurrogateConfig

L = 30
FAST = SurrogateConfig(members=2, hidden=16, epochs=150)
N_STATE = N_FEATURES + len(KNOWN)


def _states(n: int, rng) -> np.ndarray:
    return rng.uniform(-1, 1, (n, N_STATE)).astype(np.float32)


def test_the_model_learns_which_split_pays_in_which_state_and_survives_a_save(tmp_path):
    rng = np.random.default_rng(0)
    x = _states(400, rng)
    k = rng.choice([0, 30], 400)
    # offloading (k = 0) pays when feature 0 (the SINR) is high, costs when it is low; local is 0
    y = np.where(k == 0, np.sign(x[:, 0]), 0.0) + rng.normal(0, 0.05, 400)
    m = RequestModel.fit(x, k, y, [30, 0], L, 200.0, {"objective": "test"}, FAST)
    assert m.ks == (0, 30)
    test = _states(200, rng)
    clear = np.abs(test[:, 0]) > 0.4
    np.testing.assert_array_equal(m.best_k(test)[clear], np.where(test[clear, 0] > 0, 0, 30))
    m.save(tmp_path / "m.pt")
    again = RequestModel.load(tmp_path / "m.pt")
    np.testing.assert_allclose(again.predict(test), m.predict(test), rtol=1e-6)
    assert again.deadline_ms == 200.0 and again.objective == {"objective": "test"} and again.pessimism == 1.0


def test_pessimism_leans_to_the_split_whose_reward_is_sure():
    """Offloading gains 0.01 on average with noise of 1; local is exactly 0. The mean alone
    offloads in about half the states; one ensemble spread of pessimism stays local in most."""
    rng = np.random.default_rng(4)
    x = _states(300, rng)
    k = rng.choice([0, 30], 300)
    y = np.where(k == 0, 0.01 + rng.normal(0, 1.0, 300), 0.0)
    test = _states(100, rng)
    cfg = SurrogateConfig()  # the spread needs the default five members
    bold = RequestModel.fit(x, k, y, [0, 30], L, 200.0, {}, cfg, pessimism=0.0)
    careful = RequestModel.fit(x, k, y, [0, 30], L, 200.0, {}, cfg, pessimism=1.0)
    assert (bold.best_k(test) == 30).mean() < 0.6 < 0.65 < (careful.best_k(test) == 30).mean()
    np.testing.assert_allclose(careful.predict(test)[1][:, 1], 0, atol=1e-6)  # local's reward is certain


def test_fit_refuses_splits_outside_its_set_and_states_of_another_width():
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match=r"k \[4\] are not of ks \(0, 30\)"):
        RequestModel.fit(_states(3, rng), np.array([0, 4, 30]), np.zeros(3), [0, 30], L, 200.0, {}, FAST)
    with pytest.raises(ValueError, match=r"no request at k \[30\]"):
        RequestModel.fit(_states(3, rng), np.array([0, 0, 0]), np.zeros(3), [0, 30], L, 200.0, {}, FAST)
    with pytest.raises(ValueError, match="states have 3 columns"):
        RequestModel.fit(np.zeros((3, 3), np.float32), np.array([0, 0, 30]), np.zeros(3), [0, 30], L, 200.0, {}, FAST)


def test_queue_and_load_are_scaled_and_capped():
    np.testing.assert_allclose(known([0, 2, 9], [0.0, 1.0, 7.5]), [[0, 0], [0.4, 0.2], [1, 1]])


def _scenario(tmp_path, name: str, split: dict) -> dict:
    return {"name": name, "duration_s": 2.5, "seed": 3,
            "radio": {"bandwidth_rbs": 25, "scheduler": "pf", "rlc_mode": "UM"},
            "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
            "ue_groups": [{"count": 2, "placement": {"kind": "list", "positions": [[40, 0], [400, 0]]}}],
            "model": {"wire_dtype": "int4"},
            "requests": {"times_s": [0.4, 0.9, 1.4, 1.9], "prompt_tokens": 32, "windows": 3, "deadline_ms": 200},
            "split": {**split, "true_endpoints": True}}


def _run(tmp_path, name: str, split: dict):
    from cosim.session.runner import run_session_file

    spec = tmp_path / f"{name}.yaml"
    spec.write_text(yaml.safe_dump(_scenario(tmp_path, name, split)))
    run = run_session_file(spec, out=tmp_path / name, progress=False)
    return run, pd.read_parquet(run / "requests.parquet")


def test_decision_states_rebuild_what_the_ue_knew_from_a_run(tmp_path):
    run, req = _run(tmp_path, "ids", {"policy": "fixed", "k": 0})
    s = decision_states(run, req, 200.0)
    assert s.shape == (len(req), N_STATE) and np.isfinite(s).all()
    np.testing.assert_array_equal(s[:, N_FEATURES:], known(req["ue_queue"], req["edge_load"]))
    first = req.groupby("ue")["t_arrival_s"].transform("min") == req["t_arrival_s"]
    rx_gap = s[:, N_FEATURES - 1]
    assert (rx_gap[first.to_numpy()] == 1).all()  # no packet history before a UE's first request
    near = (req["ue"] == 0).to_numpy() & ~first.to_numpy()
    assert (rx_gap[near] < 1).all()  # the near UE's earlier ids arrived
    assert s[(req["ue"] == 0).to_numpy(), 0].mean() > s[(req["ue"] == 1).to_numpy(), 0].mean()  # its SINR too
    with pytest.raises(ValueError, match="decode"):
        decision_states(run, req.assign(new_tokens=1), 200.0)


def test_a_fitted_model_steers_a_live_session(tmp_path):
    rng = np.random.default_rng(2)
    x = _states(60, rng)
    k = np.repeat([0, 30], 30)
    for name, favoured in (("offload", 0), ("local", 30)):
        path = tmp_path / f"{name}.pt"
        RequestModel.fit(x, k, np.where(k == favoured, 1.0, -1.0), [0, 30], L, 200.0, {}, FAST).save(path)
        _, req = _run(tmp_path, name, {"policy": "reward_model", "agent": str(path), "k": 0})
        assert len(req) == 8 and (req["k"] == favoured).all()


def test_a_model_of_another_model_or_version_is_refused(tmp_path):
    from mbrl.request_model import load_policy

    rng = np.random.default_rng(3)
    path = tmp_path / "m.pt"
    RequestModel.fit(_states(10, rng), np.zeros(10, int), np.zeros(10), [0], L, 200.0, {}, FAST).save(path)
    with pytest.raises(ValueError, match="fitted for 30 layers, the session's model has 24"):
        load_policy(path, 24)
    with pytest.raises(ValueError, match="is not a file"):
        load_policy(tmp_path / "none.pt", 30)
    import torch

    d = torch.load(path, weights_only=False)
    torch.save({**d, "features": ["sinr_mean"]}, path)
    with pytest.raises(ValueError, match="fit it again"):
        load_policy(path, 30)
