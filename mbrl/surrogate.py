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
2. rounds: fit, predict the spread on the whole pool, ask the real evaluator for the ``batch``
   pairs with the largest spread (at most one per state per round, so a batch does not spend
   itself on one state), until ``budget`` real evaluations are spent.
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

    def __post_init__(self):
        if self.inputs not in ("fates", "observation"):
            raise ValueError(f"surrogate.inputs: {self.inputs!r} is not one of fates, observation")
        if self.k_encoding not in ("onehot", "scalar"):
            raise ValueError(f"surrogate.k_encoding: {self.k_encoding!r} is not one of onehot, scalar")
        checks = {"members": 2, "hidden": 4, "epochs": 1, "init": 2, "batch": 1}
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

    def fit(self, x: np.ndarray, y: np.ndarray) -> "Surrogate":
        """Fits every member on a bootstrap resample of (x, y); deterministic given cfg.seed."""
        t0 = time.perf_counter()
        x_t = torch.as_tensor(np.asarray(x, np.float32))
        y = np.asarray(y, np.float64)
        self._y_mean, self._y_std = float(y.mean()), float(y.std() + 1e-6)
        y_t = torch.as_tensor(((y - self._y_mean) / self._y_std).astype(np.float32))
        rng = np.random.default_rng(self.cfg.seed + len(y))
        for i, net in enumerate(self.members):
            idx = torch.as_tensor(rng.integers(0, len(y), len(y)))
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
    queried: list = field(default_factory=list)  # (state, k, y) in query order


def active_learn(feats: np.ndarray, n_layers: int, real_q, cfg: SurrogateConfig = SurrogateConfig(),
                 on_round=None) -> tuple[Surrogate, ActiveLog]:
    """Fits a surrogate of ``real_q(state, k) -> Q`` over the states ``feats`` within cfg.budget calls.

    Args:
        feats: (n, d) features of the candidate states.
        n_layers: L; k ranges over 0..L.
        real_q: the real evaluation (each call is one real evaluation).
        cfg: ensemble and budget.
        on_round: optional callable(surrogate, log) after each fit.
    """
    rng = np.random.default_rng(cfg.seed)
    states, ks, x = all_pairs(feats, n_layers, cfg.k_encoding)
    design_x = x.copy()
    if cfg.k_encoding == "scalar":
        design_x[:, -1] *= 3.0  # k is half the design: weigh it against the many feature columns
    asked = list(farthest_points(design_x, cfg.init, rng))
    log = ActiveLog()
    y = [real_q(int(states[i]), int(ks[i])) for i in asked]
    log.queried.extend((int(states[i]), int(ks[i]), float(v)) for i, v in zip(asked, y))
    while True:
        sur = Surrogate(x.shape[1], cfg).fit(x[asked], y)
        _, std = sur.predict(x)
        log.rounds.append({"real_evals": len(asked), "mean_spread": float(std.mean()), "fit_s": sur.fit_s})
        if on_round is not None:
            on_round(sur, log)
        room = cfg.budget - len(asked)
        if room <= 0:
            return sur, log
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
