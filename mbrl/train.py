"""Model-based training and its comparison with every other learner and baseline.

Pipeline (:func:`train`):

1. traces and real-evaluation tables (:func:`mbrl.dataset.prepare`, cached);
2. the held-out references: random, the exact-fate oracle, and the skyline (mbrl.skyline: the
   best causal policy fitted on the full real table of the train states and half of the
   held-out ones, scored on the other half);
3. every learner of :data:`mbrl.learners.LEARNERS` (MBRL: surrogate by active learning, then
   PPO on it; model-free PPO on real evaluations), each charged by the same rule (one distinct
   (window, lost set, k) is one real evaluation; repeats and intact states free) and checked on
   the held-out traces every ``ppo.eval_every`` steps;
4. baselines on the held-out traces (fixed k, random, greedy on the surrogate, oracle, skyline,
   and the causal stump fitted on the train states' real table: see mbrl.baselines.causal_stump).

Scores: with this reward the mean reward is negative (damaged states cost more than clean ones
earn), so a plain ratio is meaningless. ``frac_skyline`` is the share of the gap from the random
policy to the skyline that a method closes, (R - R_random) / (R_skyline - R_random), and
``frac_oracle`` the same against the oracle; 0 = random. When the oracle's mean reward is
positive the plain ratio R / R_oracle is reported too (``ratio_oracle``).
"""
from __future__ import annotations

import json
from pathlib import Path

from . import baselines as B
from .config import TrainConfig, to_dict
from .features import FEATURES
from .learners import LEARNERS, Context
from .skyline import skyline_policy
from .surrogate import predict_q


def gap_share(r: float, low: float, high: float) -> float:
    """Share of the gap from ``low`` to ``high`` closed by mean reward r (module doc)."""
    return float((r - low) / (high - low)) if high > low else float("nan")


def best_fixed_on_train(ds, cfg: TrainConfig) -> int:
    """The fixed split with the best mean reward on the train states' real table: the best fixed
    split chosen on training data (issue 28), never on the held-out traces."""
    fixed = {k: B.fixed(k) for k in range(ds.n_layers + 1)}
    res = B.compare(fixed, ds.train, ds.train_table, cfg.reward, cfg.env.start_k)
    return max(range(ds.n_layers + 1), key=lambda k: res[k]["mean_reward"])


def heldout_refs(ds, cfg: TrainConfig) -> tuple[dict, dict]:
    """Mean held-out rewards of random, oracle, skyline and the best fixed split chosen on the
    train states (``best_fixed``, its k ``best_fixed_k``), and the skyline's policy info."""
    from .stats import adaptive_gain_measurable

    r, L = cfg.reward, ds.n_layers
    sky, sky_info = skyline_policy(ds, r)
    k = best_fixed_on_train(ds, cfg)
    res = {n: B.run_policy(act, ds.test, ds.test_table, r, cfg.env.start_k, keep_rewards=True) for n, act in
           {"oracle": B.oracle(ds.test_table, ds.test, r), "random": B.random_policy(L, cfg.seed), "skyline": sky,
            "best_fixed": B.fixed(k)}.items()}
    gain = adaptive_gain_measurable(res["skyline"]["rewards"], res["best_fixed"]["rewards"])
    refs = {**{n: v["mean_reward"] for n, v in res.items()}, "best_fixed_k": k,
            "adaptive_gain": {"per_decision": gain.point, "ci95": [gain.lo, gain.hi], "measurable": gain.measurable}}
    return refs, {**sky_info, "policy": sky}


def fractions(mean_reward: float, refs: dict) -> dict:
    """``frac_oracle``, ``frac_skyline`` (shares of the gap from random), and issue 28's
    ``gain_share`` (of the gap from the best fixed split chosen on training data to the skyline)
    with ``random_share`` (= frac_skyline)."""
    sky = gap_share(mean_reward, refs["random"], refs["skyline"])
    return {"frac_oracle": gap_share(mean_reward, refs["random"], refs["oracle"]), "frac_skyline": sky,
            "gain_share": gap_share(mean_reward, refs["best_fixed"], refs["skyline"]), "random_share": sky}


def train(cfg: TrainConfig, out: Path | None = None, ds=None, progress: bool = False, real: dict | None = None) -> dict:
    """Runs the whole pipeline; writes the run folder ``out`` when given. Returns the metrics.
    ``real``: {learner key: real evaluator} for learners whose evaluations run for real, timed
    (mbrl.learners.Context)."""
    import torch

    from .dataset import prepare

    torch.set_num_threads(cfg.threads)
    if ds is None:
        ds = prepare(cfg.traces, cfg.evaluator, progress, cfg.table)
    L, r = ds.n_layers, cfg.reward
    refs, sky_info = heldout_refs(ds, cfg)

    def check(model) -> dict:
        res = B.run_policy(B.sb3_policy(model, L, cfg.env.action_mode), ds.test, ds.test_table, r, cfg.env.start_k)
        return {"mean_reward": res["mean_reward"], **fractions(res["mean_reward"], refs)}

    ctx = Context(ds, cfg, check, progress, dict(real or {}))
    results = {ln.key: ln.run(ctx) for ln in LEARNERS if ln.enabled(cfg)}
    mb = results["mbrl"]

    # Greedy must not see the held-out states' own fates: in fates mode it acts on the expected
    # predicted quality of the train states nearest in observation.
    q_train, sur = mb.extra["q_train"], mb.extra["sur"]
    q_test_pred = (B.knn_expected_q(ds.train.feats, q_train, ds.test.feats) if cfg.surrogate.inputs == "fates"
                   else predict_q(sur, ds.test, L, cfg))
    policies = {ln.policy_name: results[ln.key].policy for ln in LEARNERS if ln.key in results}
    stump, stump_info = B.causal_stump(ds.train.feats, B.heldout_q(ds.train_table, r), r, FEATURES)
    policies.update({"greedy_surrogate": B.greedy(q_test_pred, ds.test_table, ds.test, r), "causal_stump": stump,
                     "skyline": sky_info.pop("policy"), "oracle": B.oracle(ds.test_table, ds.test, r),
                     "random": B.random_policy(L, cfg.seed)})
    policies.update({f"fixed_k{k}": B.fixed(k) for k in range(L + 1)})
    table = B.compare(policies, ds.test, ds.test_table, r, cfg.env.start_k)
    for row in table.values():
        row["ratio_oracle"] = row.pop("frac_oracle", float("nan"))
        row.update(fractions(row["mean_reward"], refs))
    best_fixed = max((n for n in table if n.startswith("fixed_")), key=lambda n: table[n]["mean_reward"])

    metrics = {
        "states": {"train": len(ds.train), "heldout": len(ds.test),
                   "heldout_damaged_share": float((ds.test.loss_frac > 0).mean())},
        "real_eval_cost_s": ds.train_table.cost_s,
        "distinct_evals": distinct_evals(ds),
        "accounting": "one distinct (window, lost set, k) tail pass = one real evaluation, charged at the measured "
                      "single-call cost (an estimate: wall_measured false); repeats from the learner's memo and "
                      "intact states (clean perplexity) free, for every learner alike",
        "learners": {ln.key: learner_metrics(ln, results[ln.key]) for ln in LEARNERS if ln.key in results},
        "surrogate": mb.extra["surrogate"],
        "causal_reference": {**stump_info, "real_table_pairs": int(ds.train_table.ppl.size)},
        "skyline": sky_info, "comparison": table, "best_fixed": best_fixed, "refs": refs,
    }
    if out is not None:
        write_run(Path(out), cfg, metrics, mb.model, sur)
    metrics["_models"] = (mb.model, results["model_free"].model if "model_free" in results else None, sur)
    return metrics


def learner_metrics(learner, res) -> dict:
    t = res.ledger.ledger.totals()
    return {"label": learner.label, "policy": learner.policy_name, "real_evals": res.ledger.real_evals,
            "lookups": res.ledger.lookups, "wall_measured": res.ledger.measured, "curve": res.curve,
            "deployed": res.deployed, "by_purpose": {p: v["paid"] for p, v in t["by_purpose"].items()}}


def distinct_evals(ds) -> dict:
    """Distinct real evaluations (damaged (window, lost set) x every k) of the train, held-out
    and combined tables: what an exhaustive learner would pay."""
    def keys(dec):
        return {(int(w), frozenset(ls)) for w, ls in zip(dec.window, dec.lost) if ls}

    width = ds.n_layers + 1
    tr, te = keys(ds.train), keys(ds.test)
    return {"train": len(tr) * width, "heldout": len(te) * width, "total": len(tr | te) * width}


def write_run(out: Path, cfg: TrainConfig, metrics: dict, model, sur) -> None:
    """Run folder: config.yaml, metrics.json, agent.zip + agent.json, surrogate.pt, curves.png,
    comparison.md."""
    import torch
    import yaml

    from .agent import save_agent
    from .report import comparison_markdown, plot_curves

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
    save_agent(model, out / "agent.zip", n_layers=metrics_n_layers(metrics), action_mode=cfg.env.action_mode,
               start_k=cfg.env.start_k, deadline_ms=cfg.traces.deadline_ms)
    torch.save(sur.state_dict(), out / "surrogate.pt")
    (out / "metrics.json").write_text(json.dumps({k: v for k, v in metrics.items() if not k.startswith("_")},
                                                 indent=1, default=float))
    plot_curves(metrics, out / "curves.png")
    (out / "comparison.md").write_text(comparison_markdown(metrics))


def metrics_n_layers(metrics: dict) -> int:
    return sum(1 for n in metrics["comparison"] if n.startswith("fixed_k")) - 1
