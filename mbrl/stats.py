"""Statistics a reviewer trusts, for comparing learners over seeds (issue 28).

The method of Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical
Precipice" (NeurIPS 2021; the rliable library), implemented small with numpy only:

- :func:`iqm`: interquartile mean, robust to a few outlying seeds yet less noisy than the median;
- :func:`stratified_bootstrap_ci`: a percentile interval of any statistic of a score matrix;
- :func:`probability_of_improvement` (interval: :func:`probability_of_improvement_ci`);
- :func:`performance_profile`: the fraction of runs above each threshold, with a bootstrap band;
- :func:`sample_efficiency_curve`: the deployed policy's score against real evaluations or wall s;
- :func:`gain_share` and :func:`adaptive_gain_measurable`: issue 28's headline scale, the share of
  the gap from the best fixed split to the skyline, and whether that gap is measurable at all.

Shapes: ``scores`` is (runs, tasks), one row per independent run (a seed), one column per task (a
cell, an experiment size); a 1-D array is one task. Every run count is per task, equal across
tasks (as in rliable). Values keep the caller's units; higher is better wherever a threshold or a
comparison is involved. Random draws come from ``numpy.random.default_rng(seed)`` alone: the
same inputs and seed give the same interval, on any machine with the same numpy.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np


class Interval(NamedTuple):
    """A point estimate and its percentile-bootstrap interval: floats, or arrays of one shape."""
    point: Any
    lo: Any
    hi: Any


class Curve(NamedTuple):
    """A sample-efficiency curve: at each ``x``, the statistic over runs and its interval."""
    x: np.ndarray
    point: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


class Gain(NamedTuple):
    """The adaptive gain (skyline - best fixed), its interval, and whether that excludes 0."""
    point: float
    lo: float
    hi: float
    measurable: bool


def iqm(x, axis: int | None = None, fractional: bool = False):
    """Interquartile mean of ``x``, in the units of ``x``: the mean of its middle 50 %.

    Default: rliable's exactly, ``scipy.stats.trim_mean(x, 0.25)``: sort, drop ``n // 4`` values
    at each end, average the rest, with no fractional weights. That is the middle 50 % only when
    n is a multiple of 4 (10 seeds: the middle 6); kept so that a reviewer who reruns rliable on
    the same scores gets the same number. ``fractional=True`` weighs each sorted value by its
    overlap with the quantile range [0.25, 0.75] (10 seeds: the 3rd and 8th at half weight, the
    4th-7th whole): the exact middle 50 % of the empirical distribution; equal to the default
    when n is a multiple of 4.

    ``axis=None`` pools every element (rliable's aggregate over runs and tasks) and returns a
    float; an int reduces that axis only and returns an array.
    """
    return _iqm(_finite(x, "x"), axis, fractional)


def stratified_bootstrap_ci(scores, statistic: Callable = iqm, reps: int = 2000,
                            level: float = 0.95, seed=0) -> Interval:
    """``statistic(scores)`` and its percentile-bootstrap interval at ``level``.

    scores: (runs, tasks), or (runs,) for one task. statistic: called on a (runs, tasks) array,
    returns a float or an array of one shape (the default, :func:`iqm`, pools runs and tasks).
    Each of ``reps`` samples redraws, within each task independently, as many runs as the task
    has, with replacement (stratified, as rliable: every task keeps its weight in every sample,
    so a task with large scores cannot be over- or under-drawn). The interval is the
    ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of the statistic over the samples.
    Returns Interval(point, lo, hi) in the statistic's units.
    """
    m = _scores(scores, "scores")
    _check_ci(reps, level)
    rng = np.random.default_rng(seed)
    boots = [statistic(_resample(m, rng)) for _ in range(reps)]
    return _interval(statistic(m), boots, level)


def probability_of_improvement(x, y) -> float:
    """P(X > Y) + 0.5 P(X = Y): the chance that a run of X scores above a run of Y on the same
    task, ties counted half, averaged over tasks (per task: Mann-Whitney U / (runs_x runs_y)).

    x: (runs_x, tasks), y: (runs_y, tasks), or 1-D for one task; run counts may differ, the
    task count must match. A float in [0, 1]: 0.5 neither is better, 1 every run of X beats every
    run of Y. Unlike a difference of means it says nothing of by how much.
    """
    a, b = _pair(x, y)
    return _poi(a, b)


def probability_of_improvement_ci(x, y, reps: int = 2000, level: float = 0.95,
                                  seed=0) -> Interval:
    """:func:`probability_of_improvement` with its stratified-bootstrap interval: in each sample
    the runs of x and of y are redrawn independently (they are not paired), within each task.
    Shapes as :func:`probability_of_improvement`; returns Interval(point, lo, hi), floats."""
    a, b = _pair(x, y)
    _check_ci(reps, level)
    rng = np.random.default_rng(seed)
    boots = [_poi(_resample(a, rng), _resample(b, rng)) for _ in range(reps)]
    return _interval(_poi(a, b), boots, level)


def performance_profile(scores, taus, reps: int = 2000, level: float = 0.95,
                        seed=0) -> Interval:
    """The fraction of runs scoring strictly above each threshold, and its bootstrap band.

    scores: (runs, tasks) or (runs,); taus: (n_taus,) thresholds in the scores' units. The
    fraction is averaged over tasks (rliable's score distribution). Returns Interval of three
    (n_taus,) arrays; the band is pointwise (each tau's own percentile interval, from samples
    stratified as :func:`stratified_bootstrap_ci`).
    """
    t = _finite(taus, "taus")
    if t.ndim != 1:
        raise ValueError(f"taus must be 1-D, got shape {t.shape}")
    return stratified_bootstrap_ci(scores, lambda m: _profile(m, t), reps, level, seed)


def sample_efficiency_curve(points: Sequence, xs=None, statistic: Callable = iqm,
                            reps: int = 2000, level: float = 0.95, seed=0) -> Curve:
    """The statistic over runs of the deployed policy's score at common x values, with intervals.

    points: one (checkpoints, 2) array-like per run, rows (x, y) in checkpoint order: x is what
    the run had spent by then (distinct real evaluations, or wall seconds), non-decreasing; y the
    score of the policy it would deploy then. A run's score at x is that of its last checkpoint
    at or before x (a step; after its last checkpoint a run keeps its final policy).
    xs: where to evaluate, (n_x,); default every checkpoint x at which every run has deployed
    something (from the largest first x on). statistic: called as ``statistic(m, axis=0)`` on
    the (runs, n_x) matrix (iqm, np.mean, np.median all fit). The bootstrap redraws whole runs
    (a curve is one unit). Returns Curve(x, point, lo, hi), each (n_x,).
    """
    runs = _curves(points)
    _check_ci(reps, level)
    firsts = max(r[0, 0] for r in runs)
    if xs is None:
        allx = np.unique(np.concatenate([r[:, 0] for r in runs]))
        x = allx[allx >= firsts]
    else:
        x = _finite(xs, "xs")
        if x.ndim != 1:
            raise ValueError(f"xs must be 1-D, got shape {x.shape}")
        if x.min() < firsts:
            raise ValueError(f"xs starts at {x.min()}, before a run's first checkpoint "
                             f"({firsts}): no deployed policy there to score")
    # side="right": at a tie in x, the later checkpoint is the deployed one.
    m = np.stack([r[np.searchsorted(r[:, 0], x, side="right") - 1, 1] for r in runs])
    rng = np.random.default_rng(seed)
    n = len(runs)
    boots = [statistic(m[rng.integers(0, n, n)], axis=0) for _ in range(reps)]
    point, lo, hi = _interval(statistic(m, axis=0), boots, level)
    return Curve(x, np.asarray(point), np.asarray(lo), np.asarray(hi))


def gain_share(score, best_fixed, skyline):
    """The share of the adaptive gap that ``score`` reaches:
    ``(score - best_fixed) / (skyline - best_fixed)``.

    The best fixed split scores 0 (a constant policy about 0), the skyline 1, a policy worse
    than the best fixed split below 0. All three in one unit (any: the share is unitless, and
    for a lower-is-better unit both signs flip and the share stays right); scalars or arrays
    that broadcast. A float for scalars, else an array. Where the gap is 0 the share does not
    exist (ValueError); check :func:`adaptive_gain_measurable` first and, where the gain is not
    measurable, report that instead of a ratio. For the headline, the IQM and interval of the
    per-run shares: ``stratified_bootstrap_ci(gain_share(per_run, best_fixed, skyline))``.
    """
    s, b, k = (_finite(v, n) for v, n in ((score, "score"), (best_fixed, "best_fixed"),
                                          (skyline, "skyline")))
    try:
        np.broadcast_shapes(s.shape, b.shape, k.shape)
    except ValueError:
        raise ValueError(f"score, best_fixed and skyline do not broadcast: shapes {s.shape}, "
                         f"{b.shape}, {k.shape}") from None
    gap = k - b
    if np.any(gap == 0):
        raise ValueError("skyline equals best_fixed: the adaptive gap is 0 and the share does "
                         "not exist (say so instead of a ratio)")
    return _out((s - b) / gap)


def adaptive_gain_measurable(skyline_per_run, best_fixed_per_run, statistic: Callable = np.mean,
                             reps: int = 2000, level: float = 0.95, seed=0) -> Gain:
    """Is the skyline's edge over the best fixed split distinguishable from 0?

    skyline_per_run, best_fixed_per_run: paired scores of one shape, (runs,) or (runs, tasks):
    entry i of both on the same run or decision (the issue's ``adaptive_gain_ci95`` is per
    decision). The gain is ``statistic`` of the paired differences, with its stratified-bootstrap
    interval (the pairs are redrawn together). Default statistic: the mean, not the IQM: the gain
    of adapting often sits in a minority of decisions (the states where the fixed split fails),
    exactly those the IQM would trim. Returns Gain(point, lo, hi, measurable), measurable when
    the interval excludes 0; where it does not, gain_share has no meaning.
    """
    sky = _scores(skyline_per_run, "skyline_per_run")
    fix = _scores(best_fixed_per_run, "best_fixed_per_run")
    if sky.shape != fix.shape:
        raise ValueError(f"skyline_per_run {sky.shape} and best_fixed_per_run {fix.shape} must "
                         "have one shape: they are paired")
    point, lo, hi = stratified_bootstrap_ci(sky - fix, statistic, reps, level, seed)
    return Gain(float(point), float(lo), float(hi), bool(lo > 0 or hi < 0))


# -- helpers ----------------------------------------------------------------------------------

def _iqm(a: np.ndarray, axis, fractional):
    if axis is None:
        a, axis = a.ravel(), 0
    a = np.sort(np.moveaxis(a, axis, -1), axis=-1)
    n = a.shape[-1]
    if fractional:
        i = np.arange(n)
        # overlap of value i's quantile span [i/n, (i+1)/n] with [0.25, 0.75]
        w = np.clip(np.minimum((i + 1) / n, 0.75) - np.maximum(i / n, 0.25), 0, None)
        return _out(a @ w / w.sum())
    cut = n // 4  # scipy: int(0.25 * n)
    return _out(a[..., cut:n - cut].mean(axis=-1))


def _poi(a: np.ndarray, b: np.ndarray) -> float:
    x, y = a[:, None, :], b[None, :, :]   # (runs_x, runs_y, tasks)
    # equal run counts per task: the pooled mean is the mean over tasks of each task's mean
    return float(((x > y) + 0.5 * (x == y)).mean())


def _profile(m: np.ndarray, taus: np.ndarray) -> np.ndarray:
    return (m[None] > taus[:, None, None]).mean(axis=(1, 2))


def _resample(m: np.ndarray, rng) -> np.ndarray:
    """Redraw each task's runs with replacement, independently per task (columns)."""
    return np.take_along_axis(m, rng.integers(0, m.shape[0], size=m.shape), axis=0)


def _interval(point, boots, level) -> Interval:
    lo, hi = np.percentile(np.asarray(boots, float), [50 * (1 - level), 50 * (1 + level)], axis=0)
    return Interval(_out(point), _out(lo), _out(hi))


def _out(v):
    v = np.asarray(v, float)
    return float(v) if v.ndim == 0 else v


def _finite(x, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} is not an array of numbers ({e})") from None
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    bad = ~np.isfinite(a)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} holds {int(bad.sum())} NaN or infinite value(s), the first at "
                         f"index {first}")
    return a


def _scores(x, name: str) -> np.ndarray:
    a = _finite(x, name)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must be (runs, tasks) or (runs,), got shape {a.shape}")
    return a


def _pair(x, y):
    a, b = _scores(x, "x"), _scores(y, "y")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x and y must have the same number of tasks (columns): "
                         f"x {a.shape}, y {b.shape}")
    return a, b


def _curves(points) -> list[np.ndarray]:
    if points is None or len(points) == 0:
        raise ValueError("points is empty: give one curve per run")
    runs = []
    for i, p in enumerate(points):
        r = _finite(p, f"points[{i}]")
        if r.ndim != 2 or r.shape[1] != 2:
            raise ValueError(f"points[{i}] must be (checkpoints, 2) rows of (x, y), got shape "
                             f"{r.shape}")
        if np.any(np.diff(r[:, 0]) < 0):
            raise ValueError(f"points[{i}]: x decreases; checkpoints must come in order of what "
                             "was spent (evaluations or wall s never go back)")
        runs.append(r)
    return runs


def _check_ci(reps, level) -> None:
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps!r}")
    try:
        ok = 0 < float(level) < 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
