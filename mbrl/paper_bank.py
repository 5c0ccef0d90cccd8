"""Real evaluations of the paper's experiment: the split model under i.i.d. element erasure after
layer k, a bank of them per (p, k) cell, and the offline surrogate on (p, k) fitted from fresh ones.

One *real evaluation* is the perplexity of ``model.windows`` text windows split at k, the hidden
state entering layer k losing each element independently with probability p (set to
``model.fill``, the paper's zero) under one fresh mask: one tail pass per window, heads cached
(llm_split.perplexity.Evaluator). Each one is timed. At p = 0 nothing is lost and the split is
exact, so Q = 0 without asking: free for every learner.

The bank holds ``bank.masks`` evaluations per damaged (p, k) cell, mask seeds
``10_000 * bank.seed + m``. Model-free learners draw from it (one draw = one real evaluation
charged, at that entry's measured seconds), and its per-cell mean is the true expected reward
that scores every policy. It is cached on disk by its settings
(``$LAYERSPLIT_CACHE/mbrl_paper/<key>.npz``), seconds included, so a cached bank reports the
seconds measured when it was built.

The surrogate predicts the log perplexity ratio ln(mean PPL / PPL_clean) of a cell, a better
conditioned target than the ratio itself (which spans 0..-50 here): ``surrogate.form: table``
treats k as a category (per k, linear in p between the fitted p), ``mlp`` is the paper's MLP
2 -> 128 -> 128 -> 1 (tanh) on (p / p_max, k / L), which blurs the cliff between a robust and a
fragile neighbouring k on SmolLM2. The mean is over the cell's ``surrogate.masks`` fresh
evaluations (mask seeds ``1_000_000 + 10_000 * seed + j``, never the bank's) and taken before
the log because the reward is linear in PPL: at fragile splits one mask in five or ten loses the
few huge elements and multiplies PPL by 10-50, and a mean of logs would hide it.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass

import numpy as np

from .paper_config import PaperConfig


@dataclass
class Setup:
    """The loaded model and its evaluator. ``ks`` are the usable split points, ``L`` the layers."""

    ev: object
    ks: list
    L: int
    clean: float


def load_setup(cfg: PaperConfig) -> Setup:
    """Loads the model and text windows; checks env.ks against the model's layers."""
    import torch

    from llm_split.corpus import load_text, sliding_windows, tokenize
    from llm_split.model import load_model
    from llm_split.perplexity import Evaluator
    from llm_split.split import SplitModel

    torch.set_num_threads(cfg.threads)
    m = cfg.model
    model, tok = load_model(m.name, m.dtype, None, "cpu", "model.name")
    split = SplitModel(model)
    ks = list(range(split.n_layers + 1)) if cfg.env.ks is None else list(cfg.env.ks)
    bad = [k for k in ks if k > split.n_layers]
    if bad:
        raise ValueError(f"env.ks: {bad} are not split points of {m.name} (0..{split.n_layers})")
    ids = tokenize(load_text(m.corpus), tok, m.window * m.windows)
    windows = sliding_windows(ids, m.window, m.window, tok.bos_token_id)[:m.windows]
    if len(windows) < m.windows:
        raise ValueError(f"model.windows: {m.windows} windows of {m.window} tokens need a longer corpus than "
                         f"{m.corpus!r}")
    ev = Evaluator(split, windows, ks)
    return Setup(ev, ks, split.n_layers, ev.perplexity(split.n_layers))


def real_eval(setup: Setup, k: int, p: float, seed: int, fill: str) -> tuple[float, float]:
    """(perplexity, measured seconds) of one real evaluation at (k, p) with mask seed ``seed``."""
    from llm_split.damage import Damage

    t0 = time.perf_counter()
    ppl = setup.ev.perplexity(k, Damage("element", p, fill=fill), seed=seed)
    return ppl, time.perf_counter() - t0


@dataclass
class Bank:
    """Real evaluations per (p, k) cell: ``ppl`` and ``secs`` are (P, K, M); p = 0 rows are the
    clean perplexity at zero cost (never drawn as a charge)."""

    ps: list
    ks: list
    L: int
    clean: float
    ppl: np.ndarray
    secs: np.ndarray
    built: str

    def q(self, reward) -> np.ndarray:
        """Quality term of every entry, (P, K, M); exactly 0 at p = 0."""
        q = reward.q(self.ppl, self.clean)
        q[np.asarray(self.ps) == 0] = 0.0
        return q

    def true_reward(self, reward) -> np.ndarray:
        """Expected reward of moving to each cell (switching term aside), (P, K): the mean over
        the bank's masks of a * Q + b * (L - k) / L."""
        return reward.reward(self.q(reward).mean(axis=2), np.asarray(self.ks)[None, :], self.L)

    def damaged(self) -> np.ndarray:
        return np.asarray(self.ps) > 0

    def mean_eval_s(self) -> float:
        """Mean measured seconds of one real evaluation in the bank."""
        return float(self.secs[self.damaged()].mean())


def _bank_key(cfg: PaperConfig, ks: list) -> str:
    raw = json.dumps({"model": asdict(cfg.model), "ps": list(cfg.channel.ps), "ks": ks, "masks": cfg.bank.masks,
                      "seed": cfg.bank.seed, "v": 1}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def build_bank(cfg: PaperConfig, setup: Setup, progress: bool = False, cache: bool = True) -> Bank:
    """The bank (module doc), from the disk cache when its settings match."""
    from llm_split.model import default_cache_dir

    path = default_cache_dir() / "mbrl_paper" / f"{_bank_key(cfg, setup.ks)}.npz"
    if cache and path.is_file():
        z = np.load(path)
        return Bank(list(cfg.channel.ps), setup.ks, setup.L, float(z["clean"]), z["ppl"], z["secs"], str(z["built"]))
    P, K, M = len(cfg.channel.ps), len(setup.ks), cfg.bank.masks
    ppl, secs = np.full((P, K, M), setup.clean), np.zeros((P, K, M))
    todo = [(i, j) for i, p in enumerate(cfg.channel.ps) if p > 0 for j in range(K)]
    t0 = time.perf_counter()
    for n, (i, j) in enumerate(todo):
        for m in range(M):
            ppl[i, j, m], secs[i, j, m] = real_eval(setup, setup.ks[j], cfg.channel.ps[i], 10_000 * cfg.bank.seed + m,
                                                    cfg.model.fill)
        if progress and (n + 1) % max(1, len(todo) // 10) == 0:
            print(f"bank: {n + 1}/{len(todo)} cells, {time.perf_counter() - t0:.0f} s", flush=True)
    built = time.strftime("%Y-%m-%d %H:%M")
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, ppl=ppl, secs=secs, clean=setup.clean, built=built)
        tmp.replace(path)
    return Bank(list(cfg.channel.ps), setup.ks, setup.L, setup.clean, ppl, secs, built)


def fit_grid(cfg: PaperConfig, ks: list) -> list[tuple[int, int]]:
    """(p index, k index) cells the surrogate is fitted on: damaged cells of its grid."""
    s = cfg.surrogate
    ps = cfg.channel.ps if s.ps is None else s.ps
    fks = ks if s.ks is None else s.ks
    return [(i, j) for i, p in enumerate(cfg.channel.ps) if p > 0 and p in ps for j, k in enumerate(ks) if k in fks]


def _features(ps, ks, L: int):
    import torch

    p_max = max(ps) or 1.0
    return torch.tensor([[p / p_max, k / L] for p, k in zip(ps, ks)], dtype=torch.float32)


def fit_evals(cfg: PaperConfig, setup: Setup) -> dict:
    """The surrogate's real evaluations (timed): ``surrogate.masks`` fresh masks per cell of
    fit_grid, mask seeds ``1_000_000 + 10_000 * seed + j``. Returns ``cells`` (p index, k index),
    ``ppl`` (cells, masks), ``real_evals`` and ``eval_s`` (measured)."""
    s, ps = cfg.surrogate, cfg.channel.ps
    cells = fit_grid(cfg, setup.ks)
    ppl, eval_s, j = np.zeros((len(cells), s.masks)), 0.0, 0
    for c, (i, kj) in enumerate(cells):
        for m in range(s.masks):
            ppl[c, m], sec = real_eval(setup, setup.ks[kj], ps[i], 1_000_000 + 10_000 * cfg.seed + j, cfg.model.fill)
            eval_s, j = eval_s + sec, j + 1
    return {"cells": cells, "ppl": ppl, "real_evals": j, "eval_s": eval_s}


def predict_table(cfg: PaperConfig, ks: list, cells: list, log_ratio: np.ndarray) -> np.ndarray:
    """``surrogate.form: table``: k is a category. Per fitted k, ln(mean PPL / PPL_clean) of each
    fitted cell, piecewise linear in p between the fitted p (anchored at 0 for p = 0, held
    beyond the last); a k outside the fit grid is interpolated linearly in k between its fitted
    neighbours (which blurs cliffs in k: fit every k to avoid it). (P, K)."""
    ps = np.asarray(cfg.channel.ps, float)
    fit_ks = sorted({kj for _, kj in cells})
    rows = np.zeros((len(ps), len(fit_ks)))
    for c, kj in enumerate(fit_ks):
        pts = sorted((ps[i], y) for (i, j), y in zip(cells, log_ratio) if j == kj)
        xp, fp = [0.0] + [x for x, _ in pts], [0.0] + [y for _, y in pts]
        rows[:, c] = np.interp(ps, xp, fp)
    k_fit = np.asarray(ks, float)[fit_ks]
    out = np.stack([np.interp(np.asarray(ks, float), k_fit, r) for r in rows])
    out[ps == 0] = 0.0
    return out


def predict_mlp(cfg: PaperConfig, ks: list, L: int, cells: list, log_ratio: np.ndarray) -> tuple[np.ndarray, float]:
    """``surrogate.form: mlp``: the paper's MLP 2 -> hidden -> hidden -> 1 (tanh) on
    (p / p_max, k / L), full-batch Adam. (P, K) predictions and the final training loss."""
    import torch
    from torch import nn

    s, ps = cfg.surrogate, cfg.channel.ps
    torch.manual_seed(cfg.seed)
    net = nn.Sequential(nn.Linear(2, s.hidden), nn.Tanh(), nn.Linear(s.hidden, s.hidden), nn.Tanh(),
                        nn.Linear(s.hidden, 1))
    x = _features([ps[i] for i, _ in cells], [ks[j] for _, j in cells], L)
    y = torch.tensor(np.asarray(log_ratio), dtype=torch.float32)[:, None]
    scale = float(y.abs().max()) or 1.0
    opt = torch.optim.Adam(net.parameters(), lr=s.lr)
    for _ in range(s.epochs):
        opt.zero_grad()
        loss = ((net(x) - y / scale) ** 2).mean()
        loss.backward()
        opt.step()
    grid_p = [p for p in ps for _ in ks]
    grid_k = [k for _ in ps for k in ks]
    with torch.no_grad():
        pred = net(_features(grid_p, grid_k, L)).numpy().reshape(len(ps), len(ks)) * scale
    pred[np.asarray(ps) == 0] = 0.0
    return pred, float(loss.detach()) * scale ** 2


def predict(cfg: PaperConfig, ks: list, L: int, cells: list, ppl: np.ndarray, clean: float,
            form: str | None = None) -> tuple[np.ndarray, float]:
    """The surrogate's (P, K) ln(mean PPL / PPL_clean) from fit evaluations ``ppl`` (cells, masks)
    and its training loss (0 for the table). The mean is taken before the log (module doc)."""
    y = np.log(np.asarray(ppl).mean(axis=1) / clean)
    if (form or cfg.surrogate.form) == "table":
        return predict_table(cfg, ks, cells, y), 0.0
    return predict_mlp(cfg, ks, L, cells, y)


def cross_validate(cfg: PaperConfig, ks: list, L: int, cells: list, ppl: np.ndarray, clean: float, reward,
                   form: str | None = None) -> dict:
    """The surrogate's error on its own fit evaluations, never the bank's: the masks of each cell
    split in two folds (even and odd mask index); fitted on one fold, it is scored against the
    other fold's cell means, both ways. ``cv_mae_log_ratio``, and ``cv_best_k_agreement``: the
    share of (fold, fitted damaged p) whose reward-best k among the fitted ks equals the other
    fold's. NaN with fewer than 2 masks."""
    if ppl.shape[1] < 2:
        return {"cv_mae_log_ratio": float("nan"), "cv_best_k_agreement": float("nan")}
    folds = [ppl[:, 0::2], ppl[:, 1::2]]
    pis = sorted({i for i, _ in cells})
    kjs = sorted({j for _, j in cells})
    kk = np.asarray(ks)[kjs][None, :]
    mae, agree = [], []
    for a, b in ((0, 1), (1, 0)):
        pred, _ = predict(cfg, ks, L, cells, folds[a], clean, form)
        other = np.log(folds[b].mean(axis=1) / clean)
        mae.append(np.mean([abs(pred[i, j] - y) for (i, j), y in zip(cells, other)]))
        table = np.full((len(cfg.channel.ps), len(ks)), np.nan)
        for (i, j), y in zip(cells, other):
            table[i, j] = y
        for i in pis:
            r_pred = reward.reward(reward.q(clean * np.exp(pred[i, kjs]), clean)[None], kk, L)[0]
            r_oth = reward.reward(reward.q(clean * np.exp(table[i, kjs]), clean)[None], kk, L)[0]
            agree.append(int(np.argmax(r_pred) == np.argmax(r_oth)))
    return {"cv_mae_log_ratio": float(np.mean(mae)), "cv_best_k_agreement": float(np.mean(agree))}


def fit_surrogate(cfg: PaperConfig, setup: Setup, evals: dict | None = None) -> dict:
    """Real evaluations on the fit grid (timed; ``evals`` from fit_evals to reuse them), then the
    surrogate (``surrogate.form``, timed). Returns ``log_ratio`` (P, K): the predicted
    ln(mean PPL / PPL_clean) of every cell (0 at p = 0), ``real_evals``, ``eval_s`` and
    ``fit_s`` (both measured), its cross-validated error on the fit evaluations, and ``cells``."""
    ev = fit_evals(cfg, setup) if evals is None else evals
    t0 = time.perf_counter()
    pred, loss = predict(cfg, setup.ks, setup.L, ev["cells"], ev["ppl"], setup.clean)
    fit_s = time.perf_counter() - t0
    cv = cross_validate(cfg, setup.ks, setup.L, ev["cells"], ev["ppl"], setup.clean, cfg.reward)
    return {"log_ratio": pred, "real_evals": ev["real_evals"], "eval_s": ev["eval_s"], "fit_s": fit_s,
            "fit_loss": loss, "cells": len(ev["cells"]), "form": cfg.surrogate.form, **cv}


def surrogate_error(log_ratio: np.ndarray, bank: Bank, reward) -> dict:
    """How well the surrogate knows the bank's truth on the damaged cells: mean absolute error of
    ln(mean PPL / PPL_clean) against the bank's and of Q against the bank's mean Q,
    the share of p values whose reward-best k it gets right, and what its best k loses in true
    reward against the true best (mean over the damaged p)."""
    d = bank.damaged()
    true_log = np.log(bank.ppl.mean(axis=2) / bank.clean)
    q_pred = reward.q(bank.clean * np.exp(log_ratio), bank.clean)
    q_true = bank.q(reward).mean(axis=2)
    ks = np.asarray(bank.ks)[None, :]
    best_pred = reward.reward(q_pred, ks, bank.L).argmax(axis=1)
    r_true = reward.reward(q_true, ks, bank.L)
    best_true = r_true.argmax(axis=1)
    rows = np.arange(len(bank.ps))
    return {"mae_log_ratio": float(np.abs(log_ratio - true_log)[d].mean()),
            "mae_q": float(np.abs(q_pred - q_true)[d].mean()),
            "best_k_agreement": float((best_pred == best_true)[d].mean()),
            "best_k_regret": float((r_true[rows, best_true] - r_true[rows, best_pred])[d].mean())}


class LiveScorer:
    """Q from a real tail pass at every damaged step (fresh mask seeds ``2_000_000 + n``), timed:
    a model-free learner's evaluations measured end to end instead of drawn from the bank. It
    also prices each draw as the bank would (``bank_s``), so the two can be compared."""

    def __init__(self, cfg: PaperConfig, setup: Setup, bank: Bank):
        self.cfg, self.setup, self.bank = cfg, setup, bank
        self.real_evals, self.eval_s, self.bank_s, self.steps = 0, 0.0, 0.0, 0

    def quality(self, pi: int, ki: int) -> float:
        self.steps += 1
        p = self.cfg.channel.ps[pi]
        if p == 0:
            return 0.0
        ppl, sec = real_eval(self.setup, self.setup.ks[ki], p, 2_000_000 + self.real_evals, self.cfg.model.fill)
        self.real_evals += 1
        self.eval_s += sec
        self.bank_s += float(self.bank.secs[pi, ki].mean())
        return float(self.cfg.reward.q(ppl, self.setup.clean))
