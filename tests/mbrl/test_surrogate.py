import numpy as np
import pytest

from mbrl.surrogate import Surrogate, SurrogateConfig, active_learn, all_pairs


def known_q(feats, k, L=30):
    """A smooth reward surface with a feature-dependent best k."""
    best = 0.5 + 0.4 * feats[:, 0]
    return -2.0 * (k / L - best) ** 2 * (1 + feats[:, 1] ** 2)


def test_active_learning_learns_known_reward():
    rng = np.random.default_rng(0)
    feats = rng.uniform(-1, 1, (60, 9)).astype(np.float32)
    states, ks, x = all_pairs(feats, 30)
    truth = known_q(feats[states], ks)
    calls = []

    def real_q(s, k):
        calls.append((s, k))
        return float(known_q(feats[s:s + 1], np.array([k]))[0])

    cfg = SurrogateConfig(budget=240, init=120, batch=40, epochs=600, lr=1e-2, members=4, hidden=32,
                          k_encoding="scalar", acquisition="spread")
    sur, log = active_learn(feats, 30, real_q, cfg)
    assert len(calls) == 240 and log.rounds[-1]["real_evals"] == 240
    pred, spread = sur.predict(x)
    # 7 of the 9 inputs are irrelevant and there are 240 samples for 1860 pairs: "small" is
    # a fifth of the signal and far below the constant predictor's error.
    mae = np.abs(pred - truth).mean()
    assert mae < 0.2 * np.abs(truth).mean()
    assert mae < 0.3 * np.abs(truth - truth.mean()).mean()
    best_pred = pred.reshape(60, 31).argmax(1)
    best_true = truth.reshape(60, 31).argmax(1)
    assert np.abs(best_pred - best_true).mean() <= 2.0
    assert spread.shape == pred.shape and (spread >= 0).all()


def test_fit_is_deterministic():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(50, 4)).astype(np.float32), rng.normal(size=50)
    cfg = SurrogateConfig(members=2, hidden=8, epochs=20)
    a = Surrogate(4, cfg).fit(x, y).predict(x)
    b = Surrogate(4, cfg).fit(x, y).predict(x)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    c = Surrogate.from_state_dict(Surrogate(4, cfg).fit(x, y).state_dict()).predict(x)
    assert np.allclose(a[0], c[0])


@pytest.mark.parametrize("kw, match", [({"members": 1}, "surrogate.members"),
                                       ({"budget": 10, "init": 20}, "surrogate.budget: 10 is below")])
def test_bad_config(kw, match):
    with pytest.raises(ValueError, match=match):
        SurrogateConfig(**kw)


def test_fate_inputs_describe_the_states_own_transfer():
    from mbrl.surrogate import fate_inputs

    lost = [frozenset(), frozenset({0, 1, 2, 7}), frozenset(range(17))]
    x = fate_inputs(lost, np.array([0, 4 / 17, 1.0]))
    assert x[0].tolist() == [0, 0, 0]
    assert x[1] == pytest.approx([4 / 17, 1, 3 / 17]) and x[2] == pytest.approx([1, 1, 1])
