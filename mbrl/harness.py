"""The one referee for every agent comparison (issue 28): what both experiments share.

- :func:`sb3_model`: the one stable-baselines3 factory (PPO, A2C, DQN), every learner built with
  the same network, discount and reward normalisation, its step size from one tuning grid
  (:data:`STEP_SIZE_GRID`: the same values tried for every learner);
- :class:`Clock`: a learner's measured compute time, the referee's checks and the seconds of its
  real evaluations taken out (those are in its ledger, measured or estimated);
- :class:`Checkpoints`: deployed only. Each checkpoint is scored by the learner's own criterion
  on its own data (free: data it already paid for); the deployed policy is the best so far by
  that criterion. The referee scores every checkpoint on the scoring data, but only the
  deployed policy's score enters a figure;
- :func:`reach`: evaluations to reach a target = the first checkpoint at which the *deployed*
  policy reaches it; a learner that never does is "not reached", its spending at the end a
  lower bound;
- :func:`shares`: the headline scale. ``gain_share`` is the share of the gap from the best
  fixed split (chosen on training data) to the optimum / skyline; a constant policy scores about
  0 on it. ``random_share`` is the old random -> optimum scale, printed beside it;
- :func:`summarise`: per learner over seeds, the interquartile mean with a 95 % stratified
  bootstrap interval, probability of improvement, performance profiles and sample-efficiency
  curves against paid real evaluations and wall seconds (mbrl.stats).

Costs come from each learner's :class:`mbrl.ledger.Ledger` (one rule: a repeated deterministic
question is free, every draw is paid; every entry has a purpose).
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from . import stats

STEP_SIZE_GRID = (3e-4, 1e-3, 3e-3)
"""Step sizes tried for every learner (PPO, A2C, DQN and MBRL's PPO alike): SB3's PPO default,
and a factor of about 3 either side of 1e-3 (A2C's default 7e-4 and DQN's 1e-4 lie inside the
span's ends)."""

METHODS = ("ppo", "a2c", "dqn")


def sb3_model(method: str, env, *, seed: int, learning_rate: float, gamma: float, hidden: int,
              norm_reward: bool, n_steps: int = 1024, batch_size: int = 64, n_epochs: int = 10,
              ent_coef: float = 0.0, learning_starts: int = 1000):
    """A stable-baselines3 learner on ``env``: ``method`` ppo, a2c or dqn. ``n_steps``,
    ``batch_size``, ``n_epochs`` and ``ent_coef`` are PPO's (A2C keeps SB3's 5-step rollouts);
    ``learning_starts`` DQN's. ``norm_reward``: rewards divided by a running estimate of their
    spread (SB3 VecNormalize, observations untouched)."""
    from stable_baselines3 import A2C, DQN, PPO

    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    if norm_reward:
        from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

        env = VecNormalize(DummyVecEnv([lambda: env]), norm_obs=False, norm_reward=True, gamma=gamma)
    kw = dict(learning_rate=learning_rate, gamma=gamma, seed=seed, device="cpu", verbose=0,
              policy_kwargs={"net_arch": [hidden, hidden]})
    if method == "ppo":
        return PPO("MlpPolicy", env, n_steps=n_steps, batch_size=batch_size, n_epochs=n_epochs, ent_coef=ent_coef,
                   **kw)
    if method == "a2c":
        return A2C("MlpPolicy", env, **kw)
    return DQN("MlpPolicy", env, learning_starts=learning_starts, **kw)


def learn(model, timesteps: int, eval_every: int, check) -> None:
    """model.learn in chunks of eval_every steps, calling check(steps) after each (a checkpoint)."""
    while model.num_timesteps < timesteps:
        model.learn(min(eval_every, timesteps - model.num_timesteps), reset_num_timesteps=False)
        check(model.num_timesteps)


class Clock:
    """A learner's measured compute seconds: wall time since start, less the referee's checks
    (:meth:`referee`) and less its real evaluations' measured seconds (``ledger_s()``, counted in
    its ledger, so they are not counted twice)."""

    def __init__(self, ledger_s: Callable[[], float] = lambda: 0.0):
        self.t0, self.referee_s, self.ledger_s = time.perf_counter(), 0.0, ledger_s

    def compute_s(self) -> float:
        return time.perf_counter() - self.t0 - self.referee_s - self.ledger_s()

    def referee(self, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        self.referee_s += time.perf_counter() - t0
        return out


def ledger_clock(ledger) -> Clock:
    """The clock of a learner paying through ``ledger`` (mbrl.ledger.Ledger): the measured seconds
    of its evaluations are in the ledger, so taken out of its compute."""
    return Clock(lambda: ledger.totals()["all"]["measured_s"])


def shares(mean_reward: float, refs: dict) -> dict:
    """``gain_share``: (R - best fixed) / (optimum - best fixed); ``random_share``: (R - random) /
    (optimum - random). ``refs``: "optimum", "best_fixed", "random" mean rewards on the scoring
    data. NaN where a gap is not positive."""
    def share(low: float) -> float:
        gap = refs["optimum"] - low
        return float((mean_reward - low) / gap) if gap > 0 else math.nan

    return {"gain_share": share(refs["best_fixed"]), "random_share": share(refs["random"])}


class Checkpoints:
    """Deployed only (module doc). ``offer`` each checkpoint with its own score (the learner's
    criterion on its own data) and the referee's figures of it (a dict with ``gain_share``,
    ``random_share`` and ``mean_reward``); the deployed checkpoint is the best own score so far
    (ties: the earlier one stays). ``select=False`` deploys the last checkpoint instead."""

    def __init__(self, select: bool = True):
        self.select, self.best, self.curve = select, -math.inf, []
        self.state, self._deployed = None, None

    def offer(self, model, steps: int, own: float, referee: dict, cost: dict) -> dict:
        """Records one checkpoint; ``cost``: what the learner had spent by then (ledger snapshot
        and seconds, see :func:`cost_point`). Returns the curve point."""
        if not self.select or own > self.best:
            self.best = own
            self.state = {k: v.detach().clone() for k, v in model.policy.state_dict().items()}
            self._deployed = {**referee, "steps": int(steps), "own_score": float(own)}
        point = {"steps": int(steps), "own_score": float(own), **{f"last_{k}": v for k, v in referee.items()},
                 **{k: self._deployed[k] for k in referee}, "deployed_steps": self._deployed["steps"], **cost}
        self.curve.append(point)
        return point

    @property
    def deployed(self) -> dict:
        """The deployed checkpoint's referee figures, its steps and own score."""
        return dict(self._deployed)

    def restore(self, model):
        """``model`` with the deployed checkpoint's weights."""
        model.policy.load_state_dict(self.state)
        return model


def cost_point(ledger, clock: Clock) -> dict:
    """What a learner has spent now: ``paid`` (its own real evaluations, selection excluded),
    ``measured_s`` and ``estimated_s`` of them, ``compute_s`` (measured), ``wall_s`` (the sum:
    part ESTIMATED where ``wall_measured`` is false), ``repeats`` (free re-asks)."""
    s, compute = ledger.snapshot(), clock.compute_s()
    return {"paid": s["own_paid"], "measured_s": s["measured_s"], "estimated_s": s["estimated_s"],
            "compute_s": compute, "wall_s": compute + s["measured_s"] + s["estimated_s"],
            "wall_measured": s["estimated_s"] == 0, "repeats": s["repeats"]}


def reach(curve: list, target: float, key: str = "gain_share") -> dict:
    """The first checkpoint whose deployed policy has ``key`` >= ``target``: its ``steps``,
    ``paid`` and ``wall_s``, ``reached`` true; else ``reached`` false with the spending at the
    end as ``paid`` and ``wall_s`` (lower bounds: the learner needs more, if it ever gets there)."""
    hit = next((p for p in curve if p[key] >= target), None)
    p = hit or curve[-1]
    return {"reached": hit is not None, "steps": p["steps"], "paid": p["paid"], "wall_s": p["wall_s"],
            "wall_measured": p["wall_measured"]}


def summarise(runs: list[dict], learners: list[str], target: float, mbrl: str, seed: int = 0) -> dict:
    """Figures over seeds. ``runs``: one dict per seed, learner -> {"final": deployed referee
    figures at the end, "curve": checkpoints}. Per learner: ``gain_share_iqm`` and its ``_ci95``,
    ``random_share_iqm``, the evaluations to ``target`` per seed (reached or a lower bound),
    performance profile and sample-efficiency curves (against paid and wall). ``mf_best``: the
    model-free learner with the highest gain-share IQM at the end; ``probability_of_improvement``
    of MBRL over it; ``evals_ratio``: its median evaluations to the target over MBRL's (a lower
    bound where it did not reach it in some seed)."""
    out, gains = {}, {}
    taus = np.linspace(-0.5, 1.0, 16)
    for ln in learners:
        g = np.array([r[ln]["final"]["gain_share"] for r in runs])
        rs = np.array([r[ln]["final"]["random_share"] for r in runs])
        gains[ln] = g
        ci = stats.stratified_bootstrap_ci(g, seed=seed)
        hits = [reach(r[ln]["curve"], target) for r in runs]
        prof = stats.performance_profile(g, taus, seed=seed)
        out[ln] = {"gain_share": g.tolist(), "gain_share_iqm": float(ci.point), "gain_share_ci95": [ci.lo, ci.hi],
                   "random_share_iqm": float(stats.iqm(rs)), "to_target": hits,
                   "reached": sum(h["reached"] for h in hits),
                   "paid_to_target_median": float(np.median([h["paid"] for h in hits])),
                   "profile": {"tau": taus.tolist(), "frac": np.asarray(prof.point).tolist(),
                               "lo": np.asarray(prof.lo).tolist(), "hi": np.asarray(prof.hi).tolist()},
                   "efficiency": {x: _efficiency(runs, ln, x, seed) for x in ("paid", "wall_s")}}
    model_free = [ln for ln in learners if ln != mbrl]
    if mbrl in out and model_free:
        best = max(model_free, key=lambda ln: out[ln]["gain_share_iqm"])
        poi = stats.probability_of_improvement_ci(gains[mbrl], gains[best], seed=seed)
        m, b = out[mbrl], out[best]
        out["mf_best"] = best
        out["probability_of_improvement"] = {"over": best, "point": poi.point, "ci95": [poi.lo, poi.hi]}
        out["evals_ratio"] = {"value": b["paid_to_target_median"] / max(m["paid_to_target_median"], 1),
                              "mbrl_reached": m["reached"], "mf_best_reached": b["reached"],
                              "lower_bound": b["reached"] < len(runs), "seeds": len(runs)}
    return out


def _efficiency(runs: list[dict], ln: str, x: str, seed: int) -> dict:
    """IQM over seeds of the deployed gain share against ``x`` (paid evaluations or wall s)."""
    pts = [np.array([[p[x], p["gain_share"]] for p in r[ln]["curve"]], float) for r in runs]
    lo, hi = max(p[0, 0] for p in pts), max(p[-1, 0] for p in pts)
    xs = np.unique(np.geomspace(max(lo, 1e-3), hi, 24)) if hi > lo else np.array([lo])
    xs = xs[xs >= lo]
    c = stats.sample_efficiency_curve(pts, xs, seed=seed, reps=500)
    return {"x": c.x.tolist(), "iqm": c.point.tolist(), "lo": c.lo.tolist(), "hi": c.hi.tolist()}


def headline(s: dict, learners: list[str], mbrl: str, gain: dict, target: float, seeds: int,
             selection_evals: int, repeat_rates: dict) -> dict:
    """The JSON keys both agent benchmarks end with, from :func:`summarise`'s ``s``: ``gain``
    (the adaptive gain: ``ci95`` and ``measurable``), ``repeat_rates`` (learner -> per-seed repeat
    rates of its paid draws or questions). Where the gain is not measurable, or MBRL did not
    reach the target in every seed, ``evals_ratio`` says so instead of a ratio, and the target is
    not met."""
    out = {"seeds": seeds, "target": target, "adaptive_gain_ci95": [_r(v) for v in gain["ci95"]],
           "measurable": gain["measurable"], "selection_evals": int(selection_evals)}
    for key in ("gain_share_iqm", "random_share_iqm", "reached", "paid_to_target_median"):
        out[key] = {ln: _r(s[ln][key]) for ln in learners}
    out["gain_share_ci95"] = {ln: [_r(v) for v in s[ln]["gain_share_ci95"]] for ln in learners}
    if "mf_best" not in s:
        return out
    best, ratio, m = s["mf_best"], s["evals_ratio"], s[mbrl]
    poi = s["probability_of_improvement"]
    out.update(mf_best=best, mf_repeat_rate=_r(float(np.median(repeat_rates[best]))),
               probability_of_improvement={"over": best, "point": _r(poi["point"]), "ci95": [_r(v) for v in poi["ci95"]]})
    if not gain["measurable"]:
        out.update(evals_ratio="adaptive gain not measurable: its 95 % interval includes 0", target_met=False)
        return out
    if m["reached"] < seeds:  # MBRL's spending at the end is a lower bound: no ratio to divide by
        out.update(evals_ratio=f"MBRL's deployed policy did not reach {target:g} of the gain in "
                               f"{seeds - m['reached']} of {seeds} seeds", target_met=False)
        return out
    sel = int(selection_evals)
    out.update(evals_ratio=round(ratio["value"], 2), evals_ratio_lower_bound=ratio["lower_bound"],
               evals_ratio_with_selection=round((s[best]["paid_to_target_median"] + sel)
                                                / max(m["paid_to_target_median"] + sel, 1), 2),
               target_met=bool(m["gain_share_iqm"] >= target and m["gain_share_ci95"][0] > 0 and ratio["value"] >= 20))
    return out


def _r(v):
    return round(float(v), 4) if isinstance(v, (float, np.floating)) else v
