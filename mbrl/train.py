"""Model-based training and the comparison with model-free PPO and the baselines.

Pipeline (:func:`train`):

1. traces and real-evaluation tables (:func:`mbrl.dataset.prepare`, cached);
2. surrogate by active learning on the *train* states, each query one real evaluation charged
   at the measured single-call cost (:class:`mbrl.evaluator.TableEvaluator`); with
   ``surrogate.reuse`` a query is a distinct (window, lost packets, k) and its answer fills every
   train state sharing it (counted once: it is one evaluation of the same function value), and
   ``surrogate.acquisition: ranking`` asks for the pairs that decide each group's best k;
3. PPO on the surrogate environment (no real evaluation; ``ppo.seeds`` runs), every
   ``ppo.eval_every`` steps a checkpoint: scored on the surrogate over the train states (its
   deterministic policy replayed as the held-out referee replays it) and on the held-out traces;
4. model-free PPO on the real-evaluation environment (one real evaluation per step, the paper's
   baseline), its checkpoints scored the same way from the real evaluations it has paid for
   (pairs it never asked about are paid for and counted);
5. baselines on the held-out traces (fixed k, random, greedy on the surrogate, oracle, and the
   causal stump fitted on the train states' real table: see mbrl.baselines.causal_stump).

Deployed policy (``ppo.select_best``, default): the checkpoint with the best score on the
learner's own reward source; the held-out checks never choose anything. A learning-curve point
reports what stopping there would deploy (``frac_oracle``), next to the checkpoint just taken
(``frac_oracle_last``).

Score used for "fraction of oracle": with this reward the mean reward is negative (damaged
states cost more than clean ones earn), so a plain ratio to the oracle is meaningless.
``frac_oracle`` is the share of the gap from the random policy to the oracle that a method
closes: (R - R_random) / (R_oracle - R_random); 1 = oracle, 0 = random. When the oracle's mean
reward is positive the plain ratio R / R_oracle is reported too (``ratio_oracle``).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import baselines as B
from .config import TrainConfig, to_dict
from .env import MatrixScorer, SplitEnv, TableScorer
from .evaluator import TableEvaluator
from .features import FEATURES
from .surrogate import active_learn, all_pairs, fate_inputs


def score(r: float, ref: dict) -> float:
    """Share of the random-to-oracle gap closed by mean reward r (see the module doc)."""
    gap = ref["oracle"] - ref["random"]
    return float((r - ref["random"]) / gap) if gap > 0 else float("nan")


@dataclass
class Curve:
    """Learning curve: one point per held-out check."""

    points: list = field(default_factory=list)

    def first_reaching(self, frac: float) -> dict | None:
        return next((p for p in self.points if p["frac_oracle"] >= frac), None)


def _ppo(env, cfg: TrainConfig, seed: int):
    from stable_baselines3 import PPO

    p = cfg.ppo
    if p.norm_reward:
        from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

        env = VecNormalize(DummyVecEnv([lambda: env]), norm_obs=False, norm_reward=True, gamma=p.gamma)
    return PPO("MlpPolicy", env, n_steps=p.n_steps, batch_size=p.batch_size, n_epochs=p.n_epochs,
               learning_rate=p.learning_rate, ent_coef=p.ent_coef, gamma=p.gamma, seed=seed, device="cpu", verbose=0,
               policy_kwargs={"net_arch": [p.hidden, p.hidden]})


def _learn(model, timesteps: int, eval_every: int, check) -> float:
    """Runs model.learn in chunks of eval_every steps, calling check(steps, learn_wall_s) after
    each; returns the learning wall time (checks excluded)."""
    done, wall = 0, 0.0
    while done < timesteps:
        chunk = min(eval_every, timesteps - done)
        t0 = time.perf_counter()
        model.learn(chunk, reset_num_timesteps=False)
        wall += time.perf_counter() - t0
        done = model.num_timesteps
        check(done, wall)
    return wall


class _Selector:
    """Keeps the checkpoint with the best score on the learner's own reward source.

    PPO on this problem drifts between good and poor policies from one check to the next, so
    the last checkpoint is a lottery; picking by held-out results would spend the referee's
    table on the learner. ``select=False`` deploys the last checkpoint."""

    def __init__(self, select: bool):
        self.select, self.score, self.model, self.state, self.info = select, -math.inf, None, None, None

    def offer(self, model, score: float, info: dict) -> None:
        if self.select and not score > self.score:
            return
        self.score, self.model, self.info = score, model, {**info, "own_score": score}
        self.state = {k: v.detach().clone() for k, v in model.policy.state_dict().items()}

    def deployed(self) -> dict:
        """What stopping now would deploy: its held-out reward and fraction, where it came from."""
        return {"mean_reward": self.info["mean_reward"], "frac_oracle": self.info["frac_oracle"],
                "deployed": {k: self.info[k] for k in ("seed", "steps", "own_score")}}

    def restore(self):
        self.model.policy.load_state_dict(self.state)
        return self.model


class _PaidQuality:
    """Scorer of a model-free learner that remembers what it paid for.

    Training charges every step (the paper's baseline); ranking a checkpoint (``q[state, k]``)
    reuses a paid answer and pays only for pairs never asked."""

    def __init__(self, scorer, n_states: int, n_layers: int):
        self.scorer, self.shape, self.memo = scorer, (n_states, n_layers + 1), {}

    def quality(self, state: int, k: int) -> float:
        q = self.memo[(state, k)] = self.scorer.quality(state, k)
        return q

    def __getitem__(self, sk) -> float:
        sk = (int(sk[0]), int(sk[1]))
        if sk not in self.memo:
            self.memo[sk] = self.scorer.quality(*sk)
        return self.memo[sk]


def _pool(ds, cfg: TrainConfig) -> np.ndarray:
    """The train states the surrogate is fitted on (indices into ds.train)."""
    return np.flatnonzero(ds.train.loss_frac > 0) if cfg.surrogate.inputs == "fates" else np.arange(len(ds.train))


def heldout_refs(ds, cfg: TrainConfig) -> dict:
    r, L = cfg.reward, ds.n_layers
    res = B.compare({"oracle": B.oracle(ds.test_table, ds.test, r), "random": B.random_policy(L, cfg.seed)},
                    ds.test, ds.test_table, r, cfg.env.start_k)
    return {k: v["mean_reward"] for k, v in res.items()}


def descriptors(dec, cfg: TrainConfig) -> np.ndarray:
    """The surrogate's description of each state (mbrl.surrogate: fates or observation)."""
    return fate_inputs(dec.lost, dec.loss_frac) if cfg.surrogate.inputs == "fates" else dec.feats


def predict_q(sur, dec, n_layers: int, cfg: TrainConfig) -> np.ndarray:
    """Predicted quality term of every (state, k) of a state set, (states, L + 1)."""
    x = all_pairs(descriptors(dec, cfg), n_layers, cfg.surrogate.k_encoding)[2]
    q = sur.predict(x)[0].reshape(len(dec), n_layers + 1)
    if cfg.surrogate.inputs == "fates":
        q[dec.loss_frac == 0] = 0.0  # intact activation: the clean perplexity (module doc of surrogate)
    return q


def answer_groups(dec, pool: np.ndarray) -> list[np.ndarray]:
    """The states of ``pool`` grouped by (window, lost packets), in order of first appearance.

    A real evaluation is a function of (window, k, lost packets) (mbrl.evaluator), so every
    state of a group has the same real answer at each k: one paid evaluation answers them all."""
    groups: dict[tuple, list] = {}
    for s in pool:
        groups.setdefault((int(dec.window[s]), frozenset(dec.lost[s])), []).append(int(s))
    return [np.array(g) for g in groups.values()]


def fit_surrogate(ds, cfg: TrainConfig, progress: bool = False):
    """Active learning on the train states; returns (surrogate, log, evaluator, wall_s).

    With ``surrogate.reuse`` the pool holds one row per (window, lost packets) group of the train
    states (:func:`answer_groups`): a query is one real evaluation of the group's first state,
    counted once, and its answer is the real value of every state of the group at that k.
    ``log.cells`` lists every (train state, k, Q) known from paid evaluations (reused ones
    included); ``log.reused_cells`` how many of them no evaluation was paid for."""
    te = TableEvaluator(ds.train_table)
    pool = _pool(ds, cfg)
    if not len(pool):
        raise ValueError("traces: no train state lost a packet, nothing for the surrogate to learn; record "
                         "harsher channels or use surrogate.inputs: observation")
    groups = answer_groups(ds.train, pool) if cfg.surrogate.reuse else [np.array([int(s)]) for s in pool]
    reps = np.array([g[0] for g in groups])
    L = ds.n_layers
    t0 = time.perf_counter()

    def real_q(i, k):
        s = int(reps[i])
        return float(cfg.reward.q(te.ppl(s, k), te.clean(s)))

    def rank_reward(q):  # latency is not known before the transfer and weighs 0 by default
        return cfg.reward.reward(q, np.arange(L + 1), L)

    def on_round(sur, log):
        if progress:
            print(f"  surrogate: {log.rounds[-1]['real_evals']} real evals, mean spread "
                  f"{log.rounds[-1]['mean_spread']:.3f}", flush=True)

    weights = np.array([len(g) for g in groups], float) if cfg.surrogate.reuse else None
    sur, log = active_learn(descriptors(ds.train, cfg)[reps], L, real_q, cfg.surrogate, on_round, weights,
                            rank_reward)
    log.cells = [(int(s), k, y) for i, k, y in log.queried for s in groups[i]]
    log.reused_cells = len(log.cells) - len(log.queried)
    return sur, log, te, time.perf_counter() - t0


def surrogate_metrics(sur, ds, cfg: TrainConfig) -> dict:
    """Held-out MAE of the quality term and how often the surrogate's best k is the true best k."""
    L, r = ds.n_layers, cfg.reward
    spread = sur.predict(all_pairs(descriptors(ds.test, cfg), L, cfg.surrogate.k_encoding)[2])[1]
    pred = predict_q(sur, ds.test, L, cfg)
    real = B.heldout_q(ds.test_table, r)
    k = np.arange(L + 1)
    best_pred = np.argmax(r.reward(pred, k, L), 1)
    best_real = np.argmax(r.reward(real, k, L), 1)
    rows = np.arange(len(real))
    regret = r.reward(real[rows, best_real], best_real, L) - r.reward(real[rows, best_pred], best_pred, L)
    return {"mae_q": float(np.abs(pred - real).mean()), "mae_q_clean_states": float(np.abs(pred - real)[ds.test.loss_frac == 0].mean()),
            "mae_q_damaged_states": float(np.abs(pred - real)[ds.test.loss_frac > 0].mean()) if (ds.test.loss_frac > 0).any() else None,
            "best_k_agreement": float((best_pred == best_real).mean()), "mean_regret": float(regret.mean()),
            "mean_spread": float(spread.mean()), "heldout_pairs": int(real.size)}


def train(cfg: TrainConfig, out: Path | None = None, ds=None, progress: bool = False) -> dict:
    """Runs the whole pipeline; writes the run folder ``out`` when given. Returns the metrics."""
    import torch

    from .dataset import prepare

    torch.set_num_threads(cfg.threads)
    if ds is None:
        ds = prepare(cfg.traces, cfg.evaluator, progress)
    L, r = ds.n_layers, cfg.reward
    refs = heldout_refs(ds, cfg)

    def check_policy(model):
        res = B.run_policy(B.sb3_policy(model, L, cfg.env.action_mode), ds.test, ds.test_table, r, cfg.env.start_k)
        return res["mean_reward"], score(res["mean_reward"], refs)

    ue_s, edge_s = ds.train_table.ue_s, ds.train_table.edge_s
    env_kw = dict(reward=r, action_mode=cfg.env.action_mode, episode_len=cfg.env.episode_len, start_k=None,
                  ue_s=ue_s, edge_s=edge_s, damaged_share=cfg.env.damaged_share)

    # Model-based: surrogate from a budget of real evaluations, then PPO on the surrogate alone.
    sur, log, te_mb, sur_wall = fit_surrogate(ds, cfg, progress)
    q_train = predict_q(sur, ds.train, L, cfg)
    for s, k, y in log.cells:  # real answers already paid for (reused ones included): no guessing there
        q_train[s, k] = y
    mb_curve, mb_sel = Curve(), _Selector(cfg.ppo.select_best)
    mb_base_wall = te_mb.charged_s + sur.fit_s
    spent = {"wall": 0.0, "select": 0.0}
    for run in range(cfg.ppo.seeds):
        seed = cfg.seed + run
        env = SplitEnv(ds.train, MatrixScorer(q_train), L, **env_kw)
        env.reset(seed=seed)
        model = _ppo(env, cfg, seed)

        def mb_check(steps, wall, model=model, run=run):
            t0 = time.perf_counter()
            own = B.replay_reward(B.sb3_policy(model, L, cfg.env.action_mode), ds.train, q_train, ue_s, edge_s, r,
                                  cfg.env.start_k)
            spent["select"] += time.perf_counter() - t0
            mean_r, frac = check_policy(model)
            mb_sel.offer(model, own, {"seed": run, "steps": steps, "mean_reward": mean_r, "frac_oracle": frac})
            mb_curve.points.append({**mb_sel.deployed(), "seed": run, "steps": run * cfg.ppo.timesteps + steps,
                                    "real_evals": te_mb.calls, "own_score": own, "frac_oracle_last": frac,
                                    "wall_s": mb_base_wall + spent["wall"] + wall + spent["select"]})
            if progress:
                print(f"  mbrl ppo seed {run} {steps} steps: surrogate score {own:.3f}, held-out reward {mean_r:.3f} "
                      f"({frac:.1%} of oracle), deployed {mb_sel.deployed()['frac_oracle']:.1%}", flush=True)

        spent["wall"] += _learn(model, cfg.ppo.timesteps, cfg.ppo.eval_every, mb_check)
    model = mb_sel.restore()

    # Model-free: the same PPO with a real evaluation at every step. Its checkpoints are ranked
    # the same way on the train states, from the real evaluations it has paid for; a pair it
    # never asked about is paid for then and counted.
    mf_curve, mf_model, te_mf, mf_sel = Curve(), None, None, _Selector(cfg.ppo.select_best)
    if cfg.model_free.enabled:
        te_mf = TableEvaluator(ds.train_table)
        paid = _PaidQuality(TableScorer(te_mf, r), len(ds.train), L)
        env_mf = SplitEnv(ds.train, paid, L, **env_kw)
        env_mf.reset(seed=cfg.seed)
        mf_model = _ppo(env_mf, cfg, cfg.seed)
        mf_spent = {"select": 0.0, "select_evals": 0}

        def mf_check(steps, wall):
            t0, calls0 = time.perf_counter(), te_mf.calls
            own = (B.replay_reward(B.sb3_policy(mf_model, L, cfg.env.action_mode), ds.train, paid, ue_s, edge_s, r,
                                   cfg.env.start_k) if cfg.ppo.select_best else float("nan"))
            mf_spent["select"] += time.perf_counter() - t0
            mf_spent["select_evals"] += te_mf.calls - calls0
            mean_r, frac = check_policy(mf_model)
            mf_sel.offer(mf_model, own, {"seed": 0, "steps": steps, "mean_reward": mean_r, "frac_oracle": frac})
            mf_curve.points.append({**mf_sel.deployed(), "steps": steps, "real_evals": te_mf.calls,
                                    "selection_real_evals": mf_spent["select_evals"], "own_score": own,
                                    "frac_oracle_last": frac,
                                    "wall_s": te_mf.charged_s + wall + mf_spent["select"]})
            if progress:
                print(f"  model-free ppo {steps} steps ({te_mf.calls} real evals, {mf_spent['select_evals']} of them for "
                      f"selection): own score {own:.3f}, held-out reward {mean_r:.3f} ({frac:.1%} of oracle), "
                      f"deployed {mf_sel.deployed()['frac_oracle']:.1%}", flush=True)

        _learn(mf_model, cfg.model_free.timesteps, cfg.ppo.eval_every, mf_check)
        mf_model = mf_sel.restore()

    # Baselines on the same held-out episodes.
    # Greedy must not see the held-out states' own fates: in fates mode it acts on the expected
    # predicted quality of the train states nearest in observation.
    q_test_pred = (B.knn_expected_q(ds.train.feats, q_train, ds.test.feats) if cfg.surrogate.inputs == "fates"
                   else predict_q(sur, ds.test, L, cfg))
    policies = {"mbrl_ppo": B.sb3_policy(model, L, cfg.env.action_mode)}
    if mf_model is not None:
        policies["modelfree_ppo"] = B.sb3_policy(mf_model, L, cfg.env.action_mode)
    stump, stump_info = B.causal_stump(ds.train.feats, B.heldout_q(ds.train_table, r), r, FEATURES)
    policies.update({"greedy_surrogate": B.greedy(q_test_pred, ds.test_table, ds.test, r), "causal_stump": stump,
                     "oracle": B.oracle(ds.test_table, ds.test, r), "random": B.random_policy(L, cfg.seed)})
    policies.update({f"fixed_k{k}": B.fixed(k) for k in range(L + 1)})
    table = B.compare(policies, ds.test, ds.test_table, r, cfg.env.start_k)
    for row in table.values():
        row["ratio_oracle"] = row.pop("frac_oracle", float("nan"))
        row["frac_oracle"] = score(row["mean_reward"], refs)
    best_fixed = max((n for n in table if n.startswith("fixed_")), key=lambda n: table[n]["mean_reward"])

    metrics = {
        "states": {"train": len(ds.train), "heldout": len(ds.test),
                   "heldout_damaged_share": float((ds.test.loss_frac > 0).mean())},
        "real_eval_cost_s": ds.train_table.cost_s,
        "surrogate": {**surrogate_metrics(sur, ds, cfg), "real_evals": te_mb.calls,
                      "known_cells": len(log.cells), "reused_cells": log.reused_cells,
                      "charged_eval_s": te_mb.charged_s, "fit_s": sur.fit_s, "rounds": log.rounds},
        "mbrl": {"real_evals": te_mb.calls, "curve": mb_curve.points, "deployed": mb_sel.deployed()},
        "model_free": {"real_evals": te_mf.calls if te_mf else 0, "curve": mf_curve.points,
                       "deployed": mf_sel.deployed() if te_mf else None},
        "causal_reference": {**stump_info, "real_table_pairs": int(ds.train_table.ppl.size)},
        "comparison": table, "best_fixed": best_fixed, "refs": refs,
    }
    if out is not None:
        write_run(Path(out), cfg, metrics, model, sur)
    metrics["_models"] = (model, mf_model, sur)
    return metrics


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
