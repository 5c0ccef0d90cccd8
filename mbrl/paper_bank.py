"""Real evaluations of the paper's experiment: the split model under i.i.d. element erasure after
layer k, a bank of them per (p, k) cell, and the offline surrogate on (p, k) fitted from fresh ones.

One *real evaluation* is the perplexity of ``model.windows`` text windows split at k, the hidden
state entering layer k losing each element independently with probability p (set to
``model.fill``, the paper's zero) under one fresh mask: one tail pass per window, heads cached
(llm_split.perplexity.Evaluator). Each one is timed. At p = 0 nothing is lost and the split is
exact, so Q = 0 without asking: free for every learner.

Stratified on the decisive elements (``bank.decisive``, ``surrogate.decisive``: 1 by default):
at fragile splits one huge element (k = 14-16: the BOS token's channel 507) decides a window,
so a plain mask carries a 10-50x perplexity with probability p and a few masks cannot rank the
splits. A stratified evaluation runs each window with its largest element lost and kept
(llm_split.damage.strata), the rest of the mask drawn from the same seed as a plain one, and weighs
the strata p and 1 - p: unbiased for the same expectation, far less spread. It runs twice the
tail passes and is charged as 2 real evaluations (1 where no element is decisive, as at k = 0).

The bank holds ``bank.masks`` evaluations per damaged (p, k) cell, mask seeds
``10_000 * bank.seed + m``. Model-free learners draw from it (a draw charged as that entry's
real evaluations, at its measured seconds), and its per-cell mean Q (the floor applied per
stratum) is the true expected reward that scores every policy. It is cached on disk by its
settings (``$LAYERSPLIT_CACHE/mbrl_paper/<key>.npz``), seconds included, so a cached bank
reports the seconds measured when it was built.

The surrogate predicts the log perplexity ratio ln(mean PPL / PPL_clean) of a cell, a better
conditioned target than the ratio itself (which spans 0..-50 here): ``surrogate.form: table``
treats k as a category (per k, linear in p between the fitted p), ``mlp`` is the paper's MLP
2 -> 128 -> 128 -> 1 (tanh) on (p / p_max, k / L), which blurs the cliff between a robust and a
fragile neighbouring k on SmolLM2. The mean is over the cell's ``surrogate.masks`` fresh
evaluations (mask seeds ``1_000_000 + 10_000 * seed + j``, never the bank's; ``surrogate.refine``
more at the few ks per p it rates best, then fitted again: refine_evals) and taken before
the log because the reward is linear in PPL; each evaluation's PPL is its effective one (the PPL
whose Q is its expected floored Q), so the fit estimates the same floored expectation as the
bank's truth instead of flooring a mean that one ruinous stratum dominates.
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
    first_window: int = 0  # index of the corpus window the evaluations start at


def load_setup(cfg: PaperConfig, first_window: int = 0) -> Setup:
    """Loads the model and ``model.windows`` text windows from corpus window ``first_window`` on
    (the scoring bank's: ``scoring.windows_from``); checks env.ks against the model's layers."""
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
    ids = tokenize(load_text(m.corpus), tok, m.window * (first_window + m.windows))
    windows = sliding_windows(ids, m.window, m.window, tok.bos_token_id)[first_window:first_window + m.windows]
    if len(windows) < m.windows:
        raise ValueError(f"model.windows: windows {first_window}..{first_window + m.windows - 1} of {m.window} tokens "
                         f"need a longer corpus than {m.corpus!r}")
    ev = Evaluator(split, windows, ks)
    return Setup(ev, ks, split.n_layers, ev.perplexity(split.n_layers), first_window)


def scoring_section(cfg: PaperConfig):
    """The bank section the scoring bank is built by: ``scoring.masks`` masks per cell from mask
    seeds ``10_000 * scoring.seed + m`` (never the training bank's), stratified as ``bank``."""
    from dataclasses import replace

    return replace(cfg.bank, masks=cfg.scoring.masks, seed=cfg.scoring.seed)


DECISIVE_FACTOR = 100.0  # llm_split.profile's default: decisive at 100x the median magnitude


@dataclass
class Eval:
    """One real evaluation: its strata (``ppl`` and ``w``, (C,): the evaluation's perplexity for
    each lost/kept assignment of the decisive elements, with its probability; one stratum of
    weight 1 without them), measured seconds and ``charge`` (real evaluations it counts as: its
    tail passes over the number of windows, rounded up)."""

    ppl: np.ndarray
    w: np.ndarray
    secs: float
    charge: int

    def q(self, reward, clean: float) -> float:
        """Expected quality term: the floor applies per stratum, as it does per plain mask."""
        return float((reward.q(self.ppl, clean) * self.w).sum())


def real_eval(setup: Setup, k: int, p: float, seed: int, fill: str, decisive: int = 0) -> Eval:
    """One real evaluation at (k, p) with mask seed ``seed`` (module doc), timed. ``decisive`` > 0:
    each window's ``decisive`` largest elements (llm_split.damage.strata) are evaluated lost and kept,
    the rest of the mask drawn from the seed as a plain draw would; windows' masks are
    independent, so the strata of the evaluation are the products of the windows' strata."""
    from itertools import product

    from llm_split.damage.models import Damage
    from llm_split.damage.strata import decisive_units, strata

    ev, dmg = setup.ev, Damage("element", p, fill=fill)
    t0 = time.perf_counter()
    per_window = []
    for w in range(len(ev.windows)):
        clean = ev.cache.get(w, k).cpu()
        units = decisive_units(clean, dmg, decisive, DECISIVE_FACTOR)
        per_window.append([(wt, ev.tail_nll(w, k, dmg.apply(clean, ev.generator(seed, w), None, forced)))
                           for forced, wt in strata(units, p)])
    combos = list(product(*per_window))
    weights = np.array([np.prod([wt for wt, _ in c]) for c in combos])
    ppl = np.exp(np.array([sum(nll for _, nll in c) for c in combos]) / ev.n_scored)
    passes = sum(len(rows) for rows in per_window)
    return Eval(ppl, weights, time.perf_counter() - t0, -(-passes // len(ev.windows)))


def effective_ppl(reward, ppl: np.ndarray, w: np.ndarray, clean: float) -> np.ndarray:
    """The perplexity whose quality term is the expected one over the strata (last axis): the
    surrogate's fit target, so that its cell mean estimates the same floored expectation as the
    bank's truth (a plain mask's perplexity capped where the floor starts)."""
    q = (reward.q(ppl, clean) * w).sum(axis=-1)
    return clean * (np.exp(-q) if reward.quality == "log" else 1.0 - q)


@dataclass
class Bank:
    """Real evaluations per (p, k) cell: ``ppl`` (P, K, M) the expected perplexity of each entry
    over its strata, ``strata_ppl`` and ``strata_w`` (P, K, M, C) the strata (padded with weight
    0), ``secs`` and ``evals`` (P, K, M) measured seconds and charge; p = 0 rows are the clean
    perplexity at zero cost (never drawn as a charge)."""

    ps: list
    ks: list
    L: int
    clean: float
    strata_ppl: np.ndarray
    strata_w: np.ndarray
    secs: np.ndarray
    evals: np.ndarray
    built: str
    first_window: int = 0  # the evaluations' text: model.windows corpus windows from this one
    seed: int = 0  # mask seeds 10_000 * seed + m

    @property
    def ppl(self) -> np.ndarray:
        return (self.strata_ppl * self.strata_w).sum(axis=-1)

    def q(self, reward) -> np.ndarray:
        """Quality term of every entry, (P, K, M): expected over its strata; exactly 0 at p = 0."""
        q = (reward.q(self.strata_ppl, self.clean) * self.strata_w).sum(axis=-1)
        q[np.asarray(self.ps) == 0] = 0.0
        return q

    def true_reward(self, reward) -> np.ndarray:
        """Expected reward of moving to each cell (switching term aside), (P, K): the mean over
        the bank's masks of a * Q + b * (L - k) / L."""
        return reward.reward(self.q(reward).mean(axis=2), np.asarray(self.ks)[None, :], self.L)

    def damaged(self) -> np.ndarray:
        return np.asarray(self.ps) > 0

    def mean_eval_s(self) -> float:
        """Mean measured seconds of one bank entry."""
        return float(self.secs[self.damaged()].mean())

    @property
    def source(self) -> tuple:
        """What its evaluations read: the block of corpus windows starting at ``first_window``."""
        return ("windows", self.first_window)

    def entry_ids(self) -> dict:
        """(p index, k index, mask index) -> a global id of each damaged entry (its windows, mask
        seed and cell): equal ids mean the same evaluation, whichever bank holds it."""
        M = self.secs.shape[2]
        return {(i, j, m): ("entry", self.first_window, 10_000 * self.seed + m, i, j)
                for i in map(int, np.flatnonzero(self.damaged())) for j in range(len(self.ks)) for m in range(M)}


def _bank_key(cfg: PaperConfig, b, ks: list, first_window: int = 0) -> str:
    key = {"model": asdict(cfg.model), "ps": list(cfg.channel.ps), "ks": ks, "masks": b.masks, "seed": b.seed, "v": 1}
    if first_window:  # banks on the first windows keep their old key (and cache)
        key["first_window"] = first_window
    if b.decisive:  # plain banks keep their old key (and cache)
        key.update(decisive=b.decisive, factor=DECISIVE_FACTOR)
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _load_bank(cfg: PaperConfig, b, setup: Setup, path) -> Bank:
    z = np.load(path)
    if "strata_ppl" in z:
        sp, sw, ev = z["strata_ppl"], z["strata_w"], z["evals"]
    else:  # a plain bank cached before strata: one stratum per entry, one evaluation each
        sp, sw, ev = z["ppl"][..., None], np.ones(z["ppl"].shape + (1,)), np.ones(z["ppl"].shape, int)
        ev[~(np.asarray(cfg.channel.ps) > 0)] = 0
    return Bank(list(cfg.channel.ps), setup.ks, setup.L, float(z["clean"]), sp, sw, z["secs"], ev, str(z["built"]),
                setup.first_window, b.seed)


def build_bank(cfg: PaperConfig, setup: Setup, progress: bool = False, cache: bool = True, section=None) -> Bank:
    """The bank (module doc) by ``section`` (default ``cfg.bank``; the scoring bank's:
    scoring_section), from the disk cache when its settings match."""
    from llm_split.model import default_cache_dir

    b = section or cfg.bank
    path = default_cache_dir() / "mbrl_paper" / f"{_bank_key(cfg, b, setup.ks, setup.first_window)}.npz"
    if cache and path.is_file():
        return _load_bank(cfg, b, setup, path)
    P, K, M = len(cfg.channel.ps), len(setup.ks), b.masks
    C = 2 ** (b.decisive * cfg.model.windows)
    sp, sw = np.full((P, K, M, C), setup.clean), np.zeros((P, K, M, C))
    sw[..., 0] = 1.0
    secs, evals = np.zeros((P, K, M)), np.zeros((P, K, M), int)
    todo = [(i, j) for i, p in enumerate(cfg.channel.ps) if p > 0 for j in range(K)]
    t0 = time.perf_counter()
    for n, (i, j) in enumerate(todo):
        for m in range(M):
            e = real_eval(setup, setup.ks[j], cfg.channel.ps[i], 10_000 * b.seed + m, cfg.model.fill, b.decisive)
            c = len(e.w)
            sp[i, j, m, :c], sw[i, j, m, :c], secs[i, j, m], evals[i, j, m] = e.ppl, e.w, e.secs, e.charge
        if progress and (n + 1) % max(1, len(todo) // 10) == 0:
            print(f"bank: {n + 1}/{len(todo)} cells, {time.perf_counter() - t0:.0f} s", flush=True)
    built = time.strftime("%Y-%m-%d %H:%M")
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, strata_ppl=sp, strata_w=sw, secs=secs, evals=evals, clean=setup.clean, built=built)
        tmp.replace(path)
    return Bank(list(cfg.channel.ps), setup.ks, setup.L, setup.clean, sp, sw, secs, evals, built, setup.first_window,
                b.seed)


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


def fit_evals(cfg: PaperConfig, setup: Setup, pay=None) -> dict:
    """The surrogate's real evaluations (timed): ``surrogate.masks`` fresh masks per cell of
    fit_grid, mask seeds ``1_000_000 + 10_000 * seed + j``, each over ``surrogate.decisive``
    decisive elements. Returns ``cells`` (p index, k index), ``ppl`` (cells, masks: each
    evaluation's effective_ppl), ``real_evals`` (charged: 2 per stratified evaluation),
    ``evaluations`` (made) and ``eval_s`` (measured). ``pay(evaluation)``, when given, is called
    with each :class:`Eval` made (the caller pays it in a ledger)."""
    cells = fit_grid(cfg, setup.ks)
    ev = {"cells": cells, "ppl": np.zeros((len(cells), 0)), "real_evals": 0, "evaluations": 0, "eval_s": 0.0}
    return _more_masks(cfg, setup, ev, list(range(len(cells))), cfg.surrogate.masks, pay)


def _more_masks(cfg: PaperConfig, setup: Setup, ev: dict, rows: list, n: int, pay=None) -> dict:
    """``ev`` with ``n`` more fresh masks at its cells ``rows`` (NaN elsewhere), timed and
    charged (each passed to ``pay``); mask seeds go on from the last one used."""
    s, ps = cfg.surrogate, cfg.channel.ps
    add = np.full((len(ev["cells"]), n), np.nan)
    eval_s, charged, j = ev["eval_s"], ev["real_evals"], ev["evaluations"]
    for c in rows:
        i, kj = ev["cells"][c]
        for m in range(n):
            e = real_eval(setup, setup.ks[kj], ps[i], 1_000_000 + 10_000 * cfg.seed + j, cfg.model.fill, s.decisive)
            add[c, m] = effective_ppl(cfg.reward, e.ppl, e.w, setup.clean)
            eval_s, charged, j = eval_s + e.secs, charged + e.charge, j + 1
            if pay is not None:
                pay(e)
    return {**ev, "ppl": np.hstack([ev["ppl"], add]), "real_evals": charged, "evaluations": j, "eval_s": eval_s}


def cell_table(cells: list, values, shape: tuple) -> np.ndarray:
    """A (P, K) table holding ``values`` at the fit grid's ``cells`` (p index, k index), NaN elsewhere."""
    table = np.full(shape, np.nan)
    for (i, j), v in zip(cells, values):
        table[i, j] = v
    return table


def cell_reward(reward, log_ratio: np.ndarray, clean: float, ks, L: int) -> np.ndarray:
    """Expected reward of moving to each cell (switching term aside) from its ln(PPL / clean),
    (P, K') for ``log_ratio`` (P, K') at the split points ``ks`` (K')."""
    return reward.reward(reward.q(clean * np.exp(log_ratio), clean), np.asarray(ks)[None, :], L)


def refine_evals(cfg: PaperConfig, setup: Setup, ev: dict, pred: np.ndarray, pay=None) -> dict:
    """Where the plan is decided: per fitted damaged p, the ``surrogate.refine_top`` ks whose
    reward the surrogate fitted on ``ev`` rates best (``pred``: its (P, K) prediction) get
    ``surrogate.refine`` more masks. A heavy-tailed cell's few masks can miss its tail (seed 1:
    k = 8 at p = 0.2 looked as good as k = 10 on 4 masks and is twice as bad on the bank's 8),
    and such a near-tie is where a wrong pick costs most. ``ev`` as it was when refine is 0;
    ``refined`` lists the rows of the cells given more masks."""
    s, cells = cfg.surrogate, ev["cells"]
    if not s.refine:
        return {**ev, "refined": []}
    r = cell_reward(cfg.reward, pred, setup.clean, setup.ks, setup.L)
    rows = []
    for i in sorted({i for i, _ in cells}):
        mine = [c for c, (pi, _) in enumerate(cells) if pi == i]
        rows += sorted(mine, key=lambda c: -r[i, cells[c][1]])[:s.refine_top]
    rows.sort()
    return {**_more_masks(cfg, setup, ev, rows, s.refine, pay), "refined": rows}


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
    y = np.log(np.nanmean(np.asarray(ppl), axis=1) / clean)
    if (form or cfg.surrogate.form) == "table":
        return predict_table(cfg, ks, cells, y), 0.0
    return predict_mlp(cfg, ks, L, cells, y)


def cross_validate(cfg: PaperConfig, ks: list, L: int, cells: list, ppl: np.ndarray, clean: float, reward,
                   form: str | None = None) -> dict:
    """The surrogate's error on its own fit evaluations, never the bank's, leaving one mask out:
    for each mask index m, fitted on the cell's other masks and scored against mask m (so it is
    fitted on all but one mask, as close to the real fit as the data allow; two folds of half
    the masks favour the smoother form). ``cv_mae_log_ratio``; ``cv_best_k_agreement``: the
    share of (held-out mask, fitted damaged p) whose reward-best k among the fitted ks equals
    the held-out mask's; ``cv_best_k_regret``: the mean reward per step that the surrogate's best
    k loses against the held-out mask's best, both read on the held-out mask (near-ties cost
    little there, where agreement counts them as misses; between forms the common max cancels,
    leaving an unbiased comparison of the picks' rewards). NaN with fewer than 2 masks."""
    if ppl.shape[1] < 2:
        return dict.fromkeys(("cv_mae_log_ratio", "cv_best_k_agreement", "cv_best_k_regret"), float("nan"))
    pis = sorted({i for i, _ in cells})
    kjs = sorted({j for _, j in cells})
    mae, agree, regret = [], [], []
    for m in range(ppl.shape[1]):
        pred, _ = predict(cfg, ks, L, cells, np.delete(ppl, m, axis=1), clean, form)
        other = np.log(ppl[:, m] / clean)
        mae.append(np.mean([abs(pred[i, j] - y) for (i, j), y in zip(cells, other)]))
        table = cell_table(cells, other, (len(cfg.channel.ps), len(ks)))
        r_pred = cell_reward(reward, pred[:, kjs], clean, np.asarray(ks)[kjs], L)
        r_oth = cell_reward(reward, table[:, kjs], clean, np.asarray(ks)[kjs], L)
        for i in pis:
            pick = np.argmax(r_pred[i])
            agree.append(int(pick == np.argmax(r_oth[i])))
            regret.append(float(r_oth[i].max() - r_oth[i, pick]))
    return {"cv_mae_log_ratio": float(np.mean(mae)), "cv_best_k_agreement": float(np.mean(agree)),
            "cv_best_k_regret": float(np.mean(regret))}


def fit_surrogate(cfg: PaperConfig, setup: Setup, evals: dict | None = None, pay=None) -> dict:
    """Real evaluations on the fit grid (timed; ``evals`` from fit_evals to reuse them), the
    refinement where the plan is decided (refine_evals), then the surrogate (``surrogate.form``,
    timed). Returns ``log_ratio`` (P, K): the predicted ln(mean PPL / PPL_clean) of every cell (0
    at p = 0), ``real_evals`` (charged), ``evaluations`` (made), ``eval_s`` and ``fit_s`` (both
    measured), its cross-validated error on the first ``surrogate.masks`` fit masks of every
    cell (the refinement picks its cells from the data, so it is left out of the folds),
    ``cells`` and ``refined`` (cells given more masks). ``pay``: called with each new
    evaluation (fit_evals)."""
    ev = fit_evals(cfg, setup, pay) if evals is None else evals
    t0 = time.perf_counter()
    pred, loss = predict(cfg, setup.ks, setup.L, ev["cells"], ev["ppl"], setup.clean)
    fit_s = time.perf_counter() - t0
    ev = refine_evals(cfg, setup, ev, pred, pay)
    if ev["refined"]:
        t0 = time.perf_counter()
        pred, loss = predict(cfg, setup.ks, setup.L, ev["cells"], ev["ppl"], setup.clean)
        fit_s += time.perf_counter() - t0
    cv = cross_validate(cfg, setup.ks, setup.L, ev["cells"], ev["ppl"][:, :cfg.surrogate.masks], setup.clean,
                        cfg.reward)
    return {"log_ratio": pred, "real_evals": ev["real_evals"], "evaluations": ev["evaluations"],
            "eval_s": ev["eval_s"], "fit_s": fit_s, "fit_loss": loss, "cells": len(ev["cells"]),
            "refined": len(ev["refined"]), "form": cfg.surrogate.form, **cv}


def surrogate_error(log_ratio: np.ndarray, bank: Bank, reward) -> dict:
    """How well the surrogate knows the bank's truth on the damaged cells: mean absolute error of
    ln(mean PPL / PPL_clean) (effective perplexities, as fitted) against the bank's and of Q against the bank's mean Q,
    the share of p values whose reward-best k it gets right, and what its best k loses in true
    reward against the true best (mean over the damaged p)."""
    d = bank.damaged()
    true_log = np.log(effective_ppl(reward, bank.strata_ppl, bank.strata_w, bank.clean).mean(axis=2) / bank.clean)
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
    """Q from a real evaluation at every damaged step (fresh mask seeds ``2_000_000 + step``, as
    the bank's entries: ``bank.decisive``), timed:
    a model-free learner's evaluations measured end to end instead of drawn from the bank. It
    also prices each draw as the bank would (``bank_s``), so the two can be compared."""

    def __init__(self, cfg: PaperConfig, setup: Setup, bank: Bank):
        self.cfg, self.setup, self.bank = cfg, setup, bank
        self.real_evals, self.eval_s, self.bank_s, self.steps, self.draws = 0, 0.0, 0.0, 0, 0

    def quality(self, pi: int, ki: int) -> float:
        self.steps += 1
        p = self.cfg.channel.ps[pi]
        if p == 0:
            return 0.0
        e = real_eval(self.setup, self.setup.ks[ki], p, 2_000_000 + self.steps, self.cfg.model.fill,
                      self.cfg.bank.decisive)
        self.real_evals, self.draws = self.real_evals + e.charge, self.draws + 1
        self.eval_s += e.secs
        self.bank_s += float(self.bank.secs[pi, ki].mean())
        return e.q(self.cfg.reward, self.setup.clean)
