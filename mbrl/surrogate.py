"""Reward surrogate: an ensemble of small MLPs from (state descriptors, k) to the quality term.

What it learns is the expensive part only: the LLM's quality under a transfer's packet fates.
The fates themselves come from ns-3 (the traces, free), so by default (``inputs: fates``) a
state is described by its own probe's fates (:func:`fate_inputs`) and the surrogate predicts
Q(fates, k) directly instead of E[Q | observation, k], whose noise (the next transfer's fate is
uncertain) 300 evaluations cannot average out. An intact activation reproduces the clean
perplexity (splitting is exact; the float16 wire moves Q by < 1e-3 on the recorded tables), so
intact states are Q = 0 without asking and only damaged states are queried. ``inputs:
observation`` is the former design (the agent's features), kept for comparison. k enters as a
one-hot by default: damage is far from monotone or smooth in k (some split points are much
more fragile than their neighbours), which a scalar k/L input smooths away.

Each member is an MLP (inputs -> hidden -> hidden -> 1, tanh) trained on a bootstrap resample of
the real evaluations with its own initialisation; the ensemble mean is the prediction and the
standard deviation across members the uncertainty.

Active learning (:func:`active_learn`) over a pool of candidate (state, k) pairs:

1. a space-filling initial design: greedy farthest-point sampling in (features, k / L) space;
2. rounds: fit, predict on the whole pool, ask the real evaluator for ``batch`` pairs (at most
   one per state per round, so a batch does not spend itself on one state), until ``budget``
   real evaluations are spent. Which pairs (``acquisition``):

   - ``spread``: the largest ensemble spread;
   - ``ranking``: the pairs that decide each state's ranking of k. Per state, the paid k with
     the best reward is the incumbent; the challenger is the unpaid k whose optimistic reward
     (predicted Q + ``beta`` x spread) is highest; a state whose challenger beats its incumbent
     asks for the challenger, states ordered by weight x margin. A state with nothing paid asks
     first for k = 0 (the default split under damage). Pairs left in the batch when no state
     has a challenger go by the largest weight x spread;
   - ``columns`` (default): the splits a causal policy can choose between. A policy sees the
     observation, not the fates, so what it ranks is the mean reward of a split over many
     damaged states; the column whose weighted mean optimistic reward (paid cells at their real
     value, unpaid ones at predicted Q + ``beta`` x spread) is highest is paid for first, its
     unpaid rows in order of weight x spread, then the next column. Columns of the best splits
     (k = 0 and k = 9 on the default traces) end up paid in full, so the policy's choice between
     them rests on real values, and the surrogate only fills the splits that lose anyway.
     With ``columns: m`` the ``m`` best columns share each batch (a column with fewer unpaid
     rows passes its share on). Where a column holds more rows than the budget (hundreds of
     (window, lost set) groups on larger trace sets), one column at a time spends the budget on
     the leader alone, and the policy's choice between the leaders rests on guesses.

   Spread alone spends the budget where the ensemble disagrees most, which is rarely where the
   ranking of two splits is decided: an ensemble that is confidently wrong (k = 11 over k = 0 on
   low-buffer damaged states) is never asked. Per-state ranking spends it on each state's own
   best k, which scatters over many splits (agreement with the true best k is about 0.2).

A pool row may stand for several states with the same real answer (mbrl.train: states that
share (window, lost packets) share every Q(k)); ``weights`` then says how many, and weighs the
ranking acquisition and the fit (each paid row counted once per state it stands for).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class SurrogateConfig:
    """Ensemble and active-learning settings.

    Args:
        members: ensemble size (>= 2, the spread needs two).
        hidden: units per hidden layer (>= 4).
        epochs: full-batch Adam steps per fit (>= 1).
        lr: Adam learning rate.
        budget: real evaluations in all (>= init).
        init: size of the space-filling initial design (>= 2).
        batch: real evaluations per active-learning round (>= 1).
        seed: seeds the design, the bootstrap and the initialisations.
        inputs: ``fates`` (the state's own packet fates, intact states Q = 0) or
            ``observation`` (the agent's features); see the module doc.
        k_encoding: ``onehot`` or ``scalar`` (k / L).
        reuse: one real evaluation per distinct (window, lost packets, k) of the train states,
            its answer filling every state that shares it (mbrl.train); false: one per (state, k).
        acquisition: ``columns``, ``ranking`` or ``spread`` (module doc).
        beta: optimism of the ranking acquisition, in ensemble spreads.
        columns: how many of the best columns share each batch of the ``columns`` acquisition
            (>= 1; module doc).
    """

    members: int = 5
    hidden: int = 64
    epochs: int = 400
    lr: float = 3e-3
    budget: int = 300
    init: int = 100
    batch: int = 25
    seed: int = 0
    inputs: str = "fates"
    k_encoding: str = "onehot"
    reuse: bool = True
    acquisition: str = "columns"
    beta: float = 1.0
    columns: int = 1

    def __post_init__(self):
        if self.acquisition not in ("spread", "ranking", "columns"):
            raise ValueError(f"surrogate.acquisition: {self.acquisition!r} is not one of spread, ranking, columns")
        if not self.beta >= 0:
            raise ValueError(f"surrogate.beta: {self.beta!r} must be >= 0")
        if self.inputs not in ("fates", "observation"):
            raise ValueError(f"surrogate.inputs: {self.inputs!r} is not one of fates, observation")
        if self.k_encoding not in ("onehot", "scalar"):
            raise ValueError(f"surrogate.k_encoding: {self.k_encoding!r} is not one of onehot, scalar")
        checks = {"members": 2, "hidden": 4, "epochs": 1, "init": 2, "batch": 1, "columns": 1}
        for key, low in checks.items():
            if not isinstance(getattr(self, key), int) or getattr(self, key) < low:
                raise ValueError(f"surrogate.{key}: {getattr(self, key)!r} must be an integer >= {low}")
        if self.budget < self.init:
            raise ValueError(f"surrogate.budget: {self.budget} is below surrogate.init ({self.init}); "
                             "raise the budget or shrink the initial design")


def _mlp(n_in: int, hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, 1))


class Surrogate:
    """Ensemble regressor x (n, d) -> y (n,), with ``predict`` returning (mean, std)."""

    def __init__(self, n_in: int, cfg: SurrogateConfig = SurrogateConfig()):
        self.cfg, self.n_in = cfg, n_in
        gen = torch.Generator().manual_seed(cfg.seed)
        self.members = []
        for _ in range(cfg.members):
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            self.members.append(_mlp(n_in, cfg.hidden))
        self._y_mean, self._y_std = 0.0, 1.0
        self.fit_s = 0.0

    def fit(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> "Surrogate":
        """Fits every member on a bootstrap resample of (x, y) (rows drawn in proportion to
        ``weights`` when given); deterministic given cfg.seed."""
        t0 = time.perf_counter()
        x_t = torch.as_tensor(np.asarray(x, np.float32))
        y = np.asarray(y, np.float64)
        self._y_mean, self._y_std = float(y.mean()), float(y.std() + 1e-6)
        y_t = torch.as_tensor(((y - self._y_mean) / self._y_std).astype(np.float32))
        rng = np.random.default_rng(self.cfg.seed + len(y))
        p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
        for i, net in enumerate(self.members):
            idx = torch.as_tensor(rng.choice(len(y), len(y), p=p) if p is not None else rng.integers(0, len(y), len(y)))
            torch.manual_seed(self.cfg.seed * 1000 + i)
            opt = torch.optim.Adam(net.parameters(), lr=self.cfg.lr)
            xb, yb = x_t[idx], y_t[idx]
            for _ in range(self.cfg.epochs):
                opt.zero_grad()
                loss = ((net(xb).squeeze(1) - yb) ** 2).mean()
                loss.backward()
                opt.step()
        self.fit_s += time.perf_counter() - t0
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) over the ensemble, in the target's units."""
        with torch.no_grad():
            x_t = torch.as_tensor(np.asarray(x, np.float32))
            preds = torch.stack([net(x_t).squeeze(1) for net in self.members]).numpy()
        preds = preds * self._y_std + self._y_mean
        return preds.mean(0), preds.std(0)

    def state_dict(self) -> dict:
        return {"n_in": self.n_in, "cfg": self.cfg.__dict__, "y": (self._y_mean, self._y_std),
                "members": [m.state_dict() for m in self.members]}

    @classmethod
    def from_state_dict(cls, d: dict) -> "Surrogate":
        s = cls(d["n_in"], SurrogateConfig(**d["cfg"]))
        s._y_mean, s._y_std = d["y"]
        for m, sd in zip(s.members, d["members"]):
            m.load_state_dict(sd)
        return s


def inputs(feats: np.ndarray, k, n_layers: int, k_encoding: str = "scalar") -> np.ndarray:
    """Surrogate inputs: features (n, d) with k appended as k / L or a one-hot (k scalar or (n,))."""
    k = np.broadcast_to(np.asarray(k), (len(feats),))
    k_cols = np.eye(n_layers + 1)[k.astype(int)] if k_encoding == "onehot" else (k / n_layers)[:, None]
    return np.column_stack([feats, k_cols]).astype(np.float32)


def all_pairs(feats: np.ndarray, n_layers: int, k_encoding: str = "scalar"):
    """Every (state, k) pair of a state set: (state idx, k, inputs) with state-major order."""
    n = len(feats)
    states = np.repeat(np.arange(n), n_layers + 1)
    ks = np.tile(np.arange(n_layers + 1), n)
    return states, ks, inputs(feats[states], ks, n_layers, k_encoding)


def fate_inputs(lost, loss_frac: np.ndarray) -> np.ndarray:
    """Descriptors (n, 3) of each state's own transfer: lost share, packet 0 lost, longest lost
    run / packets. Packet counts follow from len(lost) / loss_frac."""
    out = np.zeros((len(lost), 3), np.float32)
    for i, (ls, frac) in enumerate(zip(lost, loss_frac)):
        if not ls:
            continue
        n = max(int(round(len(ls) / frac)), 1)
        run = best = 0
        for p in range(n):
            run = run + 1 if p in ls else 0
            best = max(best, run)
        out[i] = (frac, float(0 in ls), best / n)
    return out


def farthest_points(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of n rows of x chosen greedily far apart (first one random)."""
    chosen = [int(rng.integers(len(x)))]
    dist = np.linalg.norm(x - x[chosen[0]], axis=1)
    for _ in range(min(n, len(x)) - 1):
        i = int(dist.argmax())
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(x - x[i], axis=1))
    return np.array(chosen)


@dataclass
class ActiveLog:
    """What active learning did: per round (real evals so far, mean pool spread, fit s)."""

    rounds: list = field(default_factory=list)
    queried: list = field(default_factory=list)  # (pool row, k, y) in query order
    cells: list = field(default_factory=list)  # (train state, k, y) known from them (mbrl.train)
    reused_cells: int = 0  # of those, the ones answered by a reused evaluation


def _ranking_picks(mean: np.ndarray, std: np.ndarray, paid: np.ndarray, paid_y: np.ndarray, weights: np.ndarray,
                   rank_reward, beta: float, n: int) -> list[tuple[int, int]]:
    """(state, k) pairs the ranking acquisition asks for next (module doc); arrays (states, L + 1)."""
    r_paid = np.where(paid, rank_reward(np.where(paid, paid_y, 0.0)), -np.inf)
    incumbent = r_paid.max(1)
    optimistic = np.where(paid, -np.inf, rank_reward(mean + beta * std))
    challenger = optimistic.argmax(1)
    margin = optimistic.max(1) - incumbent
    rows = np.arange(len(mean))
    none_paid = ~paid.any(1)
    picks: list[tuple[float, int, int]] = []  # (priority, state, k)
    for s in rows[none_paid & ~paid[:, 0]]:
        picks.append((1e12 * weights[s], int(s), 0))
    for s in rows[~none_paid & np.isfinite(margin) & (margin > 0)]:
        picks.append((float(weights[s] * margin[s]), int(s), int(challenger[s])))
    picks.sort(key=lambda t: (-t[0], t[1]))
    out = [(s, k) for _, s, k in picks[:n]]
    if len(out) < n:  # no state has a challenger left: the largest weighted spread, one per state
        taken = {s for s, _ in out}
        spread = np.where(paid, -np.inf, weights[:, None] * std)
        for j in np.argsort(-spread, axis=None, kind="stable"):
            s, k = divmod(int(j), mean.shape[1])
            if len(out) >= n or not np.isfinite(spread[s, k]):
                break
            if s not in taken:
                out.append((s, k))
                taken.add(s)
    return out


def _column_picks(mean: np.ndarray, std: np.ndarray, paid: np.ndarray, paid_y: np.ndarray, weights: np.ndarray,
                  rank_reward, beta: float, n: int, columns: int = 1) -> list[tuple[int, int]]:
    """(state, k) pairs the column acquisition asks for next, ``columns`` best columns sharing
    the ``n`` (module doc); arrays (states, L + 1)."""
    q = np.where(paid, paid_y, mean + beta * std)
    col = (weights[:, None] * rank_reward(q)).sum(0) / weights.sum()
    share = -(-n // columns)
    out: list[tuple[int, int]] = []
    for k in np.argsort(-col, kind="stable"):
        rows = np.flatnonzero(~paid[:, k])
        rows = rows[np.argsort(-(weights[rows] * (std[rows, k] + 1e-9)), kind="stable")]
        out.extend((int(s), int(k)) for s in rows[:min(share, n - len(out))])
        if len(out) >= n:
            break
    return out


def active_learn(feats: np.ndarray, n_layers: int, real_q, cfg: SurrogateConfig = SurrogateConfig(),
                 on_round=None, weights: np.ndarray | None = None, rank_reward=None) -> tuple[Surrogate, ActiveLog]:
    """Fits a surrogate of ``real_q(state, k) -> Q`` over the states ``feats`` within cfg.budget calls.

    Args:
        feats: (n, d) features of the candidate states.
        n_layers: L; k ranges over 0..L.
        real_q: the real evaluation (each call is one real evaluation).
        cfg: ensemble and budget.
        on_round: optional callable(surrogate, log) after each fit.
        weights: (n,) states each row stands for (default 1 each).
        rank_reward: callable Q (n, L + 1) -> reward (n, L + 1); required unless ``acquisition: spread``.
    """
    if cfg.acquisition != "spread" and rank_reward is None:
        raise ValueError(f"surrogate.acquisition: {cfg.acquisition} needs the reward (rank_reward)")
    n, width = len(feats), n_layers + 1
    w_state = np.ones(n) if weights is None else np.asarray(weights, float)
    rng = np.random.default_rng(cfg.seed)
    states, ks, x = all_pairs(feats, n_layers, cfg.k_encoding)
    budget = min(cfg.budget, len(x))  # a pool smaller than the budget is paid for in full, once
    design_x = x.copy()
    if cfg.k_encoding == "scalar":
        design_x[:, -1] *= 3.0  # k is half the design: weigh it against the many feature columns
    asked = list(farthest_points(design_x, min(cfg.init, budget), rng))
    log = ActiveLog()
    y = [real_q(int(states[i]), int(ks[i])) for i in asked]
    log.queried.extend((int(states[i]), int(ks[i]), float(v)) for i, v in zip(asked, y))
    while True:
        sur = Surrogate(x.shape[1], cfg).fit(x[asked], y, None if weights is None else w_state[states[asked]])
        mean, std = sur.predict(x)
        log.rounds.append({"real_evals": len(asked), "mean_spread": float(std.mean()), "fit_s": sur.fit_s})
        if on_round is not None:
            on_round(sur, log)
        room = budget - len(asked)
        if room <= 0:
            return sur, log
        if cfg.acquisition in ("ranking", "columns"):
            paid = np.zeros(len(x), bool)
            paid[asked] = True
            paid_y = np.zeros(len(x))
            paid_y[asked] = y
            args = (mean.reshape(n, width), std.reshape(n, width), paid.reshape(n, width),
                    paid_y.reshape(n, width), w_state, rank_reward, cfg.beta, min(cfg.batch, room))
            pairs = _ranking_picks(*args) if cfg.acquisition == "ranking" else _column_picks(*args, cfg.columns)
            picked = [s * width + k for s, k in pairs]
        else:
            std[asked] = -np.inf
            picked, seen = [], set()
            for i in np.argsort(-std, kind="stable"):
                if not np.isfinite(std[i]) or len(picked) >= min(cfg.batch, room):
                    break
                if states[i] not in seen:
                    picked.append(int(i))
                    seen.add(states[i])
        if not picked:
            return sur, log
        for i in picked:
            v = real_q(int(states[i]), int(ks[i]))
            asked.append(i)
            y.append(v)
            log.queried.append((int(states[i]), int(ks[i]), float(v)))


# ---- the surrogate of a training run (mbrl.learners): states, groups, fit, predictions ----

def pool_states(ds, cfg) -> np.ndarray:
    """The train states the surrogate is fitted on (indices into ds.train)."""
    return np.flatnonzero(ds.train.loss_frac > 0) if cfg.surrogate.inputs == "fates" else np.arange(len(ds.train))


def descriptors(dec, cfg) -> np.ndarray:
    """The surrogate's description of each state (module doc: fates or observation)."""
    return fate_inputs(dec.lost, dec.loss_frac) if cfg.surrogate.inputs == "fates" else dec.feats


def predict_q(sur: Surrogate, dec, n_layers: int, cfg) -> np.ndarray:
    """Predicted quality term of every (state, k) of a state set, (states, L + 1)."""
    x = all_pairs(descriptors(dec, cfg), n_layers, cfg.surrogate.k_encoding)[2]
    q = sur.predict(x)[0].reshape(len(dec), n_layers + 1)
    if cfg.surrogate.inputs == "fates":
        q[dec.loss_frac == 0] = 0.0  # intact activation: the clean perplexity (module doc)
    return q


def answer_groups(dec, pool: np.ndarray) -> list[np.ndarray]:
    """The states of ``pool`` grouped by (window, lost packets), in order of first appearance.

    A real evaluation is a function of (window, k, lost packets) (mbrl.evaluator), so every
    state of a group has the same real answer at each k: one paid evaluation answers them all."""
    groups: dict[tuple, list] = {}
    for s in pool:
        groups.setdefault((int(dec.window[s]), frozenset(dec.lost[s])), []).append(int(s))
    return [np.array(g) for g in groups.values()]


def fit_surrogate(ds, cfg, ledger, progress: bool = False):
    """Active learning on the train states, paying through ``ledger`` (mbrl.evaluator.
    TableEvaluator: one distinct (window, lost set, k) is one real evaluation); returns
    (surrogate, log, fit_s): fit_s sums every round's fit, not only the last.

    With ``surrogate.reuse`` the pool holds one row per (window, lost packets) group of the train
    states (:func:`answer_groups`): a query is the group's first state, and its answer is the
    real value of every state of the group at that k. ``log.cells`` lists every (train state,
    k, Q) known from the queries (reused ones included); ``log.reused_cells`` how many of them
    were not asked for."""
    pool = pool_states(ds, cfg)
    if not len(pool):
        raise ValueError("traces: no train state lost a packet, nothing for the surrogate to learn; record "
                         "harsher channels or use surrogate.inputs: observation")
    groups = answer_groups(ds.train, pool) if cfg.surrogate.reuse else [np.array([int(s)]) for s in pool]
    reps = np.array([g[0] for g in groups])
    L = ds.n_layers

    def real_q(i, k):
        s = int(reps[i])
        return float(cfg.reward.q(ledger.ppl(s, k), ledger.clean(s)))

    def rank_reward(q):  # latency is not known before the transfer and weighs 0 by default
        return cfg.reward.reward(q, np.arange(L + 1), L)

    def on_round(sur, log):
        if progress:
            print(f"  surrogate: {ledger.real_evals} real evals, mean spread "
                  f"{log.rounds[-1]['mean_spread']:.3f}", flush=True)

    weights = np.array([len(g) for g in groups], float) if cfg.surrogate.reuse else None
    sur, log = active_learn(descriptors(ds.train, cfg)[reps], L, real_q, cfg.surrogate, on_round, weights,
                            rank_reward)
    log.cells = [(int(s), k, y) for i, k, y in log.queried for s in groups[i]]
    log.reused_cells = len(log.cells) - len(log.queried)
    return sur, log, float(sum(r["fit_s"] for r in log.rounds))


def surrogate_metrics(sur: Surrogate, ds, cfg) -> dict:
    """Held-out MAE of the quality term and how often the surrogate's best k is the true best k."""
    from .baselines import heldout_q

    L, r = ds.n_layers, cfg.reward
    spread = sur.predict(all_pairs(descriptors(ds.test, cfg), L, cfg.surrogate.k_encoding)[2])[1]
    pred = predict_q(sur, ds.test, L, cfg)
    real = heldout_q(ds.test_table, r)
    k = np.arange(L + 1)
    best_pred = np.argmax(r.reward(pred, k, L), 1)
    best_real = np.argmax(r.reward(real, k, L), 1)
    rows = np.arange(len(real))
    regret = r.reward(real[rows, best_real], best_real, L) - r.reward(real[rows, best_pred], best_pred, L)
    damaged = ds.test.loss_frac > 0
    err = np.abs(pred - real)
    return {"mae_q": float(err.mean()), "mae_q_clean_states": float(err[~damaged].mean()),
            "mae_q_damaged_states": float(err[damaged].mean()) if damaged.any() else None,
            "best_k_agreement": float((best_pred == best_real).mean()), "mean_regret": float(regret.mean()),
            "mean_spread": float(spread.mean()), "heldout_pairs": int(real.size)}
