"""The one referee (mbrl.harness): deployed-only checkpoints, evaluations to a target with lower
bounds, the gain-share scale, and the paper benchmark's target logic on made-up runs."""
import importlib.util
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from mbrl.harness import Checkpoints, reach, sb3_model, shares, summarise

REFS = {"optimum": 2.0, "best_fixed": 1.0, "random": 0.0}


def _model(value: float):
    net = torch.nn.Linear(1, 1)
    torch.nn.init.constant_(net.weight, value)
    return SimpleNamespace(policy=net)


def _cost(paid: int) -> dict:
    return {"paid": paid, "wall_s": paid / 10, "wall_measured": False}


def test_the_best_own_score_is_deployed_and_only_it_is_scored():
    cps, model = Checkpoints(), _model(0.0)
    for steps, own, r, value in ((1, 0.5, 1.5, 1.0), (2, 0.9, 1.2, 2.0), (3, 0.7, 2.0, 3.0)):
        torch.nn.init.constant_(model.policy.weight, value)
        cps.offer(model, steps, own, {"mean_reward": r, **shares(r, REFS)}, _cost(steps * 100))
    # checkpoint 3 scores best on the referee's data, but its own score is lower than checkpoint 2's
    assert [p["gain_share"] for p in cps.curve] == pytest.approx([0.5, 0.2, 0.2])
    assert [p["last_gain_share"] for p in cps.curve] == pytest.approx([0.5, 0.2, 1.0])
    assert cps.deployed["steps"] == 2 and cps.curve[-1]["deployed_steps"] == 2
    assert cps.restore(model).policy.weight.item() == 2.0  # the deployed weights, not the last
    last = Checkpoints(select=False)
    for steps, own in ((1, 0.9), (2, 0.1)):
        last.offer(model, steps, own, {"mean_reward": 1.0, **shares(1.0, REFS)}, _cost(steps))
    assert last.deployed["steps"] == 2


def test_a_target_never_reached_is_a_lower_bound():
    curve = [{"steps": s, "gain_share": g, **_cost(s * 10)} for s, g in ((1, 0.1), (2, 0.6), (3, 0.4))]
    assert reach(curve, 0.5) == {"reached": True, "steps": 2, "paid": 20, "wall_s": 2.0, "wall_measured": False}
    assert reach(curve, 0.9) == {"reached": False, "steps": 3, "paid": 30, "wall_s": 3.0, "wall_measured": False}


def test_gain_share_puts_the_best_fixed_split_at_zero():
    assert shares(1.0, REFS) == {"gain_share": 0.0, "random_share": 0.5}
    assert shares(2.0, REFS) == {"gain_share": 1.0, "random_share": 1.0}
    assert shares(0.5, REFS)["gain_share"] == -0.5  # worse than the constant split: below 0
    assert math.isnan(shares(1.0, {**REFS, "best_fixed": 2.0})["gain_share"])  # no gap: no share


def _run(learner_paid: dict, shares_at_end: dict) -> dict:
    """One made-up seed: each learner's curve climbs to its final share, spending learner_paid per point."""
    out = {}
    for ln, paid in learner_paid.items():
        g_end = shares_at_end[ln]
        curve = [{"steps": i, "gain_share": g_end * i / 4, "random_share": 0.5, **_cost(paid * i)} for i in (1, 2, 3, 4)]
        out[ln] = {"final": {"gain_share": g_end, "random_share": 0.5}, "curve": curve}
    return out


def test_summary_over_seeds_picks_the_best_model_free_learner_and_a_lower_bound_ratio():
    runs = [_run({"mbrl_ppo": 10, "ppo": 1000, "a2c": 500}, {"mbrl_ppo": 0.8, "ppo": 0.6, "a2c": 0.4 + s / 100})
            for s in range(10)]
    s = summarise(runs, ["mbrl_ppo", "ppo", "a2c"], 0.5, "mbrl_ppo")
    assert s["mf_best"] == "ppo" and s["mbrl_ppo"]["gain_share_iqm"] == pytest.approx(0.8)
    lo, hi = s["mbrl_ppo"]["gain_share_ci95"]
    assert lo == pytest.approx(0.8) and hi == pytest.approx(0.8)
    # MBRL: 0.8 * 3 / 4 = 0.6 >= 0.5 at point 3 (30 paid); ppo: 0.6 * 4 / 4 at point 4 (4000)
    assert s["mbrl_ppo"]["paid_to_target_median"] == 30 and s["ppo"]["paid_to_target_median"] == 4000
    assert s["evals_ratio"]["value"] == pytest.approx(4000 / 30) and not s["evals_ratio"]["lower_bound"]
    assert s["a2c"]["reached"] == 0 and s["a2c"]["paid_to_target_median"] == 2000  # never: its spend at the end
    assert s["probability_of_improvement"]["point"] == 1.0
    eff = s["mbrl_ppo"]["efficiency"]["paid"]
    assert eff["x"][0] == 10 and eff["iqm"][-1] == pytest.approx(0.8)


def _bench():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "mbrl_paper.py"
    spec = importlib.util.spec_from_file_location("mbrl_paper_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _metrics(run: dict, measurable: bool) -> dict:
    methods = {ln: {**r, "paid": r["curve"][-1]["paid"], "wall_s": r["curve"][-1]["wall_s"], "wall_measured": False,
                    "ledger": {"banks": {"train": {"repeat_rate": 0.9}}}} for ln, r in run.items()}
    gain = {"per_step": 0.1, "ci95": [0.05, 0.15] if measurable else [-0.01, 0.2], "measurable": measurable}
    return {"methods": methods, "references": {"adaptive_gain": gain, "best_fixed_k": 10, "hindsight_fixed_k": 10}}


def test_the_benchmark_prints_no_ratio_where_the_adaptive_gain_is_not_measurable():
    bench = _bench()
    cfg = SimpleNamespace(learners=SimpleNamespace(methods=("mbrl_ppo", "ppo")))
    runs = [_run({"mbrl_ppo": 10, "ppo": 1000}, {"mbrl_ppo": 0.8, "ppo": 0.6}) for _ in range(10)]
    out, _ = bench.figures([_metrics(r, True) for r in runs], cfg, 0.5, {"selection_evals": 3000})
    assert out["evals_ratio"] == pytest.approx(4000 / 30, rel=1e-3) and out["target_met"]
    assert out["evals_ratio_with_selection"] == pytest.approx((4000 + 3000) / (30 + 3000), rel=1e-3)
    assert out["mf_best"] == "ppo" and out["mf_repeat_rate"] == 0.9 and out["selection_evals"] == 3000
    out, _ = bench.figures([_metrics(r, False) for r in runs], cfg, 0.5, {})
    assert "not measurable" in out["evals_ratio"] and not out["target_met"]
    short = [_run({"mbrl_ppo": 10, "ppo": 1000}, {"mbrl_ppo": 0.8 if s else 0.4, "ppo": 0.6}) for s in range(10)]
    out, _ = bench.figures([_metrics(r, True) for r in short], cfg, 0.5, {})
    assert out["evals_ratio"] == "MBRL's deployed policy did not reach 0.5 of the gain in 1 of 10 seeds"
    assert not out["target_met"]
    few = [_run({"mbrl_ppo": 10, "ppo": 20}, {"mbrl_ppo": 0.8, "ppo": 0.6}) for _ in range(10)]
    out, _ = bench.figures([_metrics(r, True) for r in few], cfg, 0.5, {})
    assert out["evals_ratio"] == pytest.approx(80 / 30, abs=0.01) and not out["target_met"]  # under 20x


def test_the_benchmark_reads_the_selection_record_and_earlier_seed_folders(tmp_path):
    """The committed selection record keeps its figures under "figures" (benchmarks.record); a
    summary from earlier seed folders takes only folders run with the same settings."""
    import json

    import yaml

    from mbrl.config import to_dict
    from mbrl.paper_config import load_paper_config, with_paper_overrides

    bench = _bench()
    rec = tmp_path / "select.json"
    rec.write_text(json.dumps({"benchmark": "mbrl_paper_select", "figures": {"selection_evals": 367898}}))
    assert bench.load_selection(str(rec))["selection_evals"] == 367898
    assert bench.load_selection(str(tmp_path / "none.json")) == {}
    cfg = load_paper_config(Path(__file__).resolve().parents[2] / "examples" / "mbrl_paper.yaml")
    for seed in (3, 1):
        d = tmp_path / "runs" / f"seed{seed}"
        d.mkdir(parents=True)
        (d / "config.yaml").write_text(yaml.safe_dump(to_dict(with_paper_overrides(cfg, {"seed": seed}))))
        (d / "metrics.json").write_text(json.dumps({"methods": {}}))
    assert [m["seed"] for m in bench.load_runs([tmp_path / "runs"], cfg)] == [1, 3]
    with pytest.raises(SystemExit, match="a seed twice"):
        bench.load_runs([tmp_path / "runs", tmp_path / "runs"], cfg)
    other = with_paper_overrides(cfg, {"learners": {"timesteps": 10}})
    with pytest.raises(SystemExit, match="seed1/config.yaml is not --config's settings"):
        bench.load_runs([tmp_path / "runs"], other)


def test_one_factory_builds_every_learner_with_the_step_size_given():
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    for method in ("ppo", "a2c", "dqn"):
        m = sb3_model(method, env, seed=0, learning_rate=0.0123, gamma=0.9, hidden=8, norm_reward=method == "ppo")
        assert m.learning_rate == 0.0123 and m.gamma == 0.9
    with pytest.raises(ValueError, match="method: 'sac' is not one of ppo, a2c, dqn"):
        sb3_model("sac", env, seed=0, learning_rate=0.1, gamma=0.9, hidden=8, norm_reward=False)
