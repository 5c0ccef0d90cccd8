"""The paper's experiment (mbrl.paper) end to end on a tiny config with the real model: charging,
reproducibility, the optimum as an upper bound, the run folder, and config errors."""
import math

import pytest
import yaml

from mbrl.paper import run_paper
from mbrl.paper_bank import fit_grid
from mbrl.paper_config import load_paper_config, parse_paper_config

TINY = {"model": {"window": 32, "windows": 1}, "channel": {"ps": [0.0, 0.1, 0.2]},
        "env": {"ks": [0, 5, 10, 20, 30], "moves": [-1, 0, 1], "episode_len": 3},
        "bank": {"masks": 2}, "surrogate": {"epochs": 200, "ks": [0, 10, 30], "masks": 2,
                                       "refine": 1, "refine_top": 1},
        "learners": {"timesteps": 256, "eval_every": 128, "heldout_episodes": 20, "n_steps": 128},
        "scoring": {"masks": 2}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cfg = parse_paper_config(TINY)
    out = tmp_path_factory.mktemp("paper")
    first = run_paper(cfg, out=out, cache=False)
    return cfg, out, first, run_paper(cfg, cache=False)


def test_every_learner_is_charged_by_the_same_rule(runs):
    cfg, _, m, _ = runs
    fit = len(fit_grid(cfg, [0, 5, 10, 20, 30])) * cfg.surrogate.masks
    assert fit == 2 * 3 * 2  # damaged ps x the surrogate's ks x masks; p = 0 is free for every learner
    mb = m["methods"]["mbrl_ppo"]
    assert m["surrogate"]["refined"] == 2 and m["surrogate"]["evaluations"] == fit + 2  # 1 more mask, 1 k per p
    # stratified (decisive: 1, the default): 2 charged where a decisive element was found (k > 0 here), k = 0: 1
    assert mb["paid"] == m["surrogate"]["real_evals"]  # nothing beyond the fit and its refinement
    assert 2 * (fit + 2) - 6 <= mb["paid"] <= 2 * (fit + 2) - 4
    fit_purpose = mb["ledger"]["by_purpose"]["surrogate_fit"]
    assert fit_purpose["draws"] == fit + 2 and fit_purpose["paid"] == mb["paid"]
    assert mb["wall_measured"] and mb["measured_s"] == pytest.approx(m["surrogate"]["eval_s"])
    for name in ("ppo", "a2c", "dqn"):
        r = m["methods"][name]
        steps = r["ledger"]["by_purpose"]["training_step"]
        assert r["env_steps"] == r["curve"][-1]["steps"] >= cfg.learners.timesteps
        # every damaged draw paid, a repeated bank entry too: the bank stands in for fresh draws
        assert 0 < steps["draws"] < r["env_steps"] and steps["draws"] < r["paid"] <= 2 * steps["draws"]
        bank = r["ledger"]["banks"]["train"]
        assert bank["draws"] == steps["draws"] and bank["size"] == 2 * 5 * cfg.bank.masks
        assert bank["repeat_rate"] == pytest.approx(1 - bank["distinct"] / bank["draws"]) and bank["repeat_rate"] > 0.5
        assert not r["wall_measured"] and r["estimated_s"] > 0 and r["measured_s"] == 0  # bank seconds: an estimate
        assert m["cost_ratio"][name]["paid"] == pytest.approx(r["paid"] / mb["paid"])


def test_the_optimum_bounds_every_policy_and_the_best_fixed_split_comes_from_training_data(runs):
    cfg, _, m, _ = runs
    refs = m["references"]
    assert refs["random"] < refs["best_fixed"] <= refs["hindsight_fixed"] <= refs["optimum"] + 1e-9
    assert max(refs["fixed"].values()) == refs["hindsight_fixed"] and refs["fixed"][refs["best_fixed_k"]] == \
        pytest.approx(refs["best_fixed"])
    gain = refs["adaptive_gain"]
    assert gain["per_step"] == pytest.approx(refs["optimum"] - refs["best_fixed"])
    assert gain["ci95"][0] <= gain["per_step"] <= gain["ci95"][1] and gain["measurable"] == (gain["ci95"][0] > 0)
    for r in m["methods"].values():
        assert all(p["mean_reward"] <= refs["optimum"] + 1e-9 and p["gain_share"] <= 1 + 1e-9 for p in r["curve"])


def test_only_the_deployed_policy_is_scored(runs):
    _, _, m, _ = runs
    for r in m["methods"].values():
        best = -math.inf
        for p in r["curve"]:  # deployed = the best own score so far; its referee figures, not the last one's
            if p["own_score"] > best:
                best, deployed = p["own_score"], p
            assert p["deployed_steps"] == deployed["steps"]
            assert p["gain_share"] == deployed["last_gain_share"]
        assert r["final"]["steps"] == r["curve"][-1]["deployed_steps"]
        assert r["final"]["gain_share"] == r["curve"][-1]["gain_share"]


def test_no_learner_can_reach_the_scoring_bank():
    from mbrl.ledger import Ledger, ScoringLeak
    from mbrl.paper import build_world

    cfg = parse_paper_config(TINY)
    world = build_world(cfg, cache=False)
    assert cfg.scoring_first_window == 1 and world.setup.first_window == 0
    assert world.referee.clean != world.bank.clean  # other text: another clean perplexity
    led = Ledger("a learner", world.scoring)
    led.draw("training_step", 0.1, source=world.bank.source)  # the training windows: allowed
    with pytest.raises(ScoringLeak, match="the scoring bank"):
        led.draw("training_step", 0.1, source=("windows", 1))
    with pytest.raises(ScoringLeak):
        led.add_bank("stolen", [("entry", 1, 10_000, 1, 2)])  # a scoring bank entry's id
    for raw, match in (({"scoring": {"windows_from": 0}}, r"scoring\.windows_from: 0 overlaps the training windows"),
                       ({"scoring": {"seed": 0}}, r"scoring\.seed: 0 is bank\.seed")):
        with pytest.raises(ValueError, match=match):
            parse_paper_config({**TINY, **raw})


def test_table_surrogate_keeps_a_cliff_in_k_and_interpolates_in_p():
    import numpy as np

    from mbrl.paper_bank import cross_validate, predict_table

    cfg = parse_paper_config({**TINY, "channel": {"ps": [0.0, 0.1, 0.15, 0.2]}, "surrogate": {"ps": [0.1, 0.2]}})
    ks = [0, 5, 10, 20, 30]
    cells = [(i, j) for i in (1, 3) for j in (0, 2, 4)]  # fitted k = 0, 10, 30 at p = 0.1, 0.2
    y = np.array([0.1, 0.2, 3.0, 0.2, 0.4, 6.0])  # k = 30 fragile next to a robust k = 10
    pred = predict_table(cfg, ks, cells, y)
    assert pred[0].tolist() == [0.0] * 5  # p = 0: exact
    assert pred[1, [0, 2, 4]].tolist() == pytest.approx([0.1, 0.2, 3.0])  # fitted cells as measured
    assert pred[2, 2] == pytest.approx(0.3) and pred[2, 4] == pytest.approx(4.5)  # linear in p per k
    assert pred[1, 1] == pytest.approx(0.15) and pred[1, 3] == pytest.approx(0.2 + 2.8 / 2)  # unfitted k: linear in k
    ppl = 10 * np.exp(np.stack([y, y], axis=1))  # two identical masks per cell: a perfect fit
    cv = cross_validate(cfg, ks, 30, cells, ppl, 10.0, cfg.reward, "table")
    assert cv == {"cv_mae_log_ratio": pytest.approx(0.0, abs=1e-12), "cv_best_k_agreement": 1.0,
                  "cv_best_k_regret": 0.0}
    ppl[0, 1] *= np.exp(3.0)  # the odd-mask fold sees k = 0 ruined at p = 0.1: the folds' best k differ there
    cv = cross_validate(cfg, ks, 30, cells, ppl, 10.0, cfg.reward, "table")

    def rewards(y_k0):  # rewards of k = 0 and k = 10 at p = 0.1 when k = 0's ln(PPL / clean) is y_k0
        return cfg.reward.reward(cfg.reward.q(10 * np.exp(np.array([[y_k0, 0.2]])), 10.0), np.array([[0, 10]]), 30)[0]
    even, odd = rewards(0.1), rewards(3.1)
    assert even[0] > even[1] and odd[1] > odd[0] and cv["cv_best_k_agreement"] == 0.5  # p = 0.1 missed both ways
    assert cv["cv_best_k_regret"] == pytest.approx((even[0] - even[1] + odd[1] - odd[0]) / 4)
    # three masks, the third ruins k = 0 at p = 0.1: leaving it out, the other two pick k = 0 and it
    # says k = 10; leaving out either clean one, the mean of the other two (with the ruined one) picks
    # k = 10 and the clean one says k = 0. Every fit sees all masks but the one it is scored on.
    ppl = 10 * np.exp(np.stack([y, y, y], axis=1))
    ppl[0, 2] *= np.exp(3.0)
    cv = cross_validate(cfg, ks, 30, cells, ppl, 10.0, cfg.reward, "table")
    assert cv["cv_best_k_agreement"] == pytest.approx(3 / 6)  # 3 held-out masks x 2 p, p = 0.1 missed 3 times
    assert cv["cv_best_k_regret"] == pytest.approx((2 * (even[0] - even[1]) + odd[1] - odd[0]) / 6)


def test_mlp_surrogate_fits_its_cells_and_is_seeded():
    import numpy as np

    from mbrl.paper_bank import predict_mlp

    cfg = parse_paper_config({**TINY, "seed": 3, "surrogate": {"form": "mlp", "epochs": 1500}})
    ks = [0, 5, 10, 20, 30]
    cells = [(i, j) for i in (1, 2) for j in range(5)]
    p = np.array([cfg.channel.ps[i] for i, _ in cells])
    k = np.array([ks[j] for _, j in cells])
    y = 10 * p + 0.05 * k * p  # smooth in (p, k): damage grows with p and with the layers before the cut
    pred, loss = predict_mlp(cfg, ks, 30, cells, y)
    assert pred[0].tolist() == [0.0] * 5  # p = 0: exact, as the table
    assert np.abs(np.array([pred[i, j] for i, j in cells]) - y).max() < 0.1 and loss < 1e-2
    again, _ = predict_mlp(cfg, ks, 30, cells, y)
    assert np.array_equal(pred, again)  # the seed fixes the net's start


def test_refinement_gives_more_masks_where_the_surrogate_rates_best():
    import numpy as np

    from mbrl.paper_bank import fit_evals, load_setup, predict, refine_evals

    cfg = parse_paper_config({**TINY, "surrogate": {**TINY["surrogate"], "refine": 2, "refine_top": 1}})
    setup = load_setup(cfg)
    ev = fit_evals(cfg, setup)
    none = parse_paper_config({**TINY, "surrogate": {**TINY["surrogate"], "refine": 0}})
    assert refine_evals(none, setup, ev, np.zeros((3, 5)))["ppl"] is ev["ppl"]
    pred = np.zeros((3, 5))
    pred[:, [0, 4]] = 5.0  # k = 0 and 30 ruined: k = 10 rated best at both damaged p
    out = refine_evals(cfg, setup, ev, pred)
    rows = [c for c, (i, j) in enumerate(ev["cells"]) if j == 2]
    assert out["refined"] == rows and out["ppl"].shape == (6, 4)
    assert np.array_equal(out["ppl"][:, :2], ev["ppl"])  # the first masks are kept as they were
    assert np.isfinite(out["ppl"][rows]).all() and np.isnan(np.delete(out["ppl"], rows, axis=0)[:, 2:]).all()
    assert out["evaluations"] == ev["evaluations"] + 4 and out["real_evals"] == ev["real_evals"] + 8
    assert out["eval_s"] > ev["eval_s"]
    assert not np.isin(out["ppl"][rows, 2:], ev["ppl"][rows]).any()  # fresh masks, not the first ones again
    y = predict(cfg, setup.ks, setup.L, out["cells"], out["ppl"], setup.clean)[0]
    assert y[1, 2] == pytest.approx(np.log(out["ppl"][rows[0]].mean() / setup.clean))  # all 4 masks


def test_same_config_and_seed_same_results(runs):
    _, _, a, b = runs
    keep = ("steps", "paid", "mean_reward", "own_score")
    for name in a["methods"]:
        assert [[p[k] for k in keep] for p in a["methods"][name]["curve"]] == \
               [[p[k] for k in keep] for p in b["methods"][name]["curve"]]
    assert a["references"] == b["references"]
    assert a["surrogate"]["mae_q"] == b["surrogate"]["mae_q"]


def test_the_paper_command_prints_the_deployed_policies(runs):
    from mbrl.cli import paper_summary

    text = paper_summary(runs[2]).splitlines()
    assert "best fixed k = " in text[0] and "(chosen on training data)" in text[0]
    assert [line.split()[0] for line in text[1:]] == ["mbrl_ppo", "ppo", "a2c", "dqn"]
    assert all("share of the adaptive gain" in line for line in text[1:])


def test_run_folder(runs):
    cfg, out, m, _ = runs
    for name in ("ppl_vs_k.png", "reward_vs_steps.png", "reward_vs_evals.png", "cost_ratio.png", "metrics.json",
                 "curves.csv"):
        assert (out / name).stat().st_size > 0, name
    assert parse_paper_config(yaml.safe_load((out / "config.yaml").read_text())) == cfg
    assert m["setup"]["ks"] == [0, 5, 10, 20, 30] and math.isfinite(m["setup"]["clean_ppl"])


def test_the_example_config_loads():
    cfg = load_paper_config("examples/mbrl_paper.yaml")
    assert cfg.reward.quality == "ratio" and cfg.env.episode_len == 5 and len(cfg.env.moves) == 9


@pytest.mark.parametrize("raw, match", [
    ({"channel": {"process": "iid"}}, r"channel\.process: 'iid' is not one of episode, walk"),
    ({"channel": {"ps": [0.1, 1.5]}}, r"channel\.ps\[1\]: 1\.5 must be <= 1 \(allowed: 0 <= x <= 1\)$"),
    ({"learners": {"methods": ["ppo", "sac"]}}, r"learners\.methods: .* mbrl_ppo, ppo, a2c, dqn"),
    ({"env": {"moves": [-1, 1]}}, r"env\.moves: .* including 0"),
    ({"env": {"obs": "image"}}, r"env\.obs: 'image' is not one of onehot, scalar"),
    ({"reward": {"quality": "linear"}}, r"reward\.quality: 'linear' is not one of log, ratio"),
    ({"surrogate": {"ps": [0.3]}}, r"surrogate\.ps: \[0\.3\] must be a non-empty subset of channel\.ps"),
    ({"bank": {"maks": 3}}, r"bank\.maks: unknown key; allowed: decisive, masks, seed"),
    ({"surrogate": {"form": "gp"}}, r"surrogate\.form: 'gp' is not one of table, mlp"),
    ({"bank": {"decisive": 3}}, r"bank\.decisive: 3 must be <= 2 \(allowed: 0 <= x <= 2\)$"),
    ({"surrogate": {"decisive": 5}}, r"surrogate\.decisive: 5 must be <= 2 \(allowed: 0 <= x <= 2\)$"),
    ({"learners": {"step_sizes": {"a2c": 0}}}, r"learners\.step_sizes\.a2c: 0 must be > 0 \(allowed: 0 < x <= 1\)$"),
    ({"learners": {"grid": [0.1, -1]}}, r"learners\.grid\[1\]: -1 must be > 0 \(allowed: 0 < x <= 1\)$"),
    ({"scoring": {"masks": 1}}, r"scoring\.masks: 1 must be >= 2 \(allowed: 2 <= x <= 1000\)$"),
    ({"surrogate": {"refine": -1}}, r"surrogate\.refine: -1 must be >= 0 \(allowed: 0 <= x <= 1000\)$"),
    ({"bank": {"masks": 1_000_000_000}}, r"bank\.masks: 1000000000 must be <= 1000 \(allowed: 2 <= x <= 1000\)$"),
    ({"surrogate": {"masks": 1_000_000_000}}, r"surrogate\.masks: 1000000000 must be <= 1000 \(allowed: 1 <= x <= 1000\)$"),
    ({"threads": 0}, r"^threads: 0 must be >= 1 \(allowed: 1 <= x <= 1024\)$"),
])
def test_bad_values_name_the_field(raw, match):
    with pytest.raises(ValueError, match=match):
        parse_paper_config(raw)


def test_split_points_beyond_the_model_are_refused():
    with pytest.raises(ValueError, match=r"env\.ks: \[40\] are not split points of smollm2-135m \(0\.\.30\)"):
        run_paper(parse_paper_config({**TINY, "env": {"ks": [0, 40]}, "surrogate": {}}), cache=False)


def test_env_follows_the_gymnasium_contract():
    import numpy as np
    from gymnasium.utils.env_checker import check_env

    from mbrl.paper_env import PaperEnv, TableScorer

    cfg = parse_paper_config(TINY)
    env = PaperEnv(cfg, [0, 5, 10, 20, 30], 30, TableScorer(np.zeros((3, 5))))
    check_env(env, skip_render_check=True)
    assert env.observation_space.shape == (3 + 5,)

    def rollout(seed):
        obs, _ = env.reset(seed=seed)
        return [obs.tolist()] + [env.step(a % 3)[0].tolist() for a in range(3)]
    assert rollout(4) == rollout(4)


def test_stratified_evaluation_is_the_p_weighted_mean_over_the_decisive_element_lost_and_kept():
    import numpy as np

    from llm_split.damage.models import Damage
    from mbrl.paper_bank import load_setup, real_eval

    cfg = parse_paper_config(TINY)  # one window: the strata are the decisive element kept and lost
    setup = load_setup(cfg)
    p, k, seed = 0.1, 20, 7
    e = real_eval(setup, k, p, seed, "zero", decisive=1)
    assert e.w.tolist() == pytest.approx([1 - p, p]) and e.charge == 2  # two tail passes, charged 2
    assert e.ppl[1] > 2 * e.ppl[0]  # losing the decisive element hurts
    n = setup.ev.n_scored  # llm_split's own stratified expectation of the window's NLL
    assert (e.w * np.log(e.ppl)).sum() * n == pytest.approx(
        setup.ev.window_nll(0, k, Damage("element", p, fill="zero"), seed, decisive=1))
    assert e.q(cfg.reward, setup.clean) == pytest.approx(
        (1 - p) * cfg.reward.q(e.ppl[0], setup.clean) + p * cfg.reward.q(e.ppl[1], setup.clean))
    plain = real_eval(setup, k, p, seed, "zero", decisive=0)
    assert plain.charge == 1 and len(plain.w) == 1
    assert plain.ppl[0] == pytest.approx(setup.ev.perplexity(k, Damage("element", p, fill="zero"), seed))


def test_fit_target_and_bank_draws_follow_the_floor_and_the_charge():
    import numpy as np

    from mbrl.ledger import Ledger
    from mbrl.paper_bank import Bank, effective_ppl
    from mbrl.paper_env import BankScorer

    cfg = parse_paper_config(TINY)  # ratio quality floored at -10
    ppl, w = np.array([20.0, 1000.0]), np.array([0.9, 0.1])
    # Q = 0.9 * (-1) + 0.1 * (-10) = -1.9, not the floor of the mean perplexity (118 -> -10)
    assert effective_ppl(cfg.reward, ppl, w, 10.0) == pytest.approx(29.0)
    sp = np.broadcast_to(ppl, (2, 1, 1, 2)).copy()
    bank = Bank([0.0, 0.1], [5], 30, 10.0, sp, np.broadcast_to(w, (2, 1, 1, 2)).copy(), np.ones((2, 1, 1)),
                np.array([[[0]], [[2]]]), "")
    assert bank.q(cfg.reward)[:, 0, 0].tolist() == pytest.approx([0.0, -1.9])
    led = Ledger("ppo")
    scorer = BankScorer(bank, cfg.reward, 0, led)
    scorer.quality(0, 0), scorer.quality(1, 0), scorer.quality(1, 0)
    t = led.totals()["by_purpose"]["training_step"]
    assert (scorer.steps, t["draws"], t["paid"]) == (3, 2, 4)  # p = 0 free, a stratified draw costs 2, each time
    assert led.banks()["train"] == {"size": 1, "draws": 2, "distinct": 1, "repeat_rate": 0.5}
    assert scorer.own_reward()[:, 0].tolist() == pytest.approx([cfg.reward.reward(0.0, 5, 30),
                                                                cfg.reward.reward(-1.9, 5, 30)])


def test_each_learner_gets_its_own_step_size():
    import numpy as np

    from mbrl.paper import learner_model
    from mbrl.paper_env import PaperEnv, TableScorer

    sizes = {"mbrl_ppo": 0.002, "ppo": 0.001, "a2c": 0.003, "dqn": 0.0005}
    cfg = parse_paper_config({**TINY, "learners": {**TINY["learners"], "step_sizes": sizes}})
    env = PaperEnv(cfg, [0, 5, 10, 20, 30], 30, TableScorer(np.zeros((3, 5))))
    assert {m: learner_model(m, env, cfg, 0).learning_rate for m in sizes} == sizes
    assert learner_model("a2c", env, cfg, 0, learning_rate=0.01).learning_rate == 0.01  # a selection run's value
