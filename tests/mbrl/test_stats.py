"""mbrl.stats against values computed by hand or from the definitions (rliable's method)."""
import numpy as np
import pytest

from mbrl.stats import (adaptive_gain_measurable, gain_share, iqm, performance_profile,
                        probability_of_improvement, probability_of_improvement_ci,
                        sample_efficiency_curve, stratified_bootstrap_ci)

POW2 = 2.0 ** np.arange(10)   # 1, 2, 4, ..., 512: skewed, so the two IQM rules differ


def test_iqm_of_known_arrays():
    assert iqm(np.arange(1, 9)) == 4.5                          # mean of 3, 4, 5, 6
    assert iqm([8, 1, 7, 2, 6, 3, 5, 4]) == 4.5                 # order does not matter
    assert iqm([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000]) == 5.5        # an outlying seed is trimmed
    # n = 10, rliable's rule: drop 2 at each end, mean of 4 .. 128 = 252 / 6
    assert iqm(POW2) == pytest.approx(42.0)
    # n = 10, the exact middle 50 %: 4 and 128 at half weight, (2 + 8+16+32+64 + 64) / 5
    assert iqm(POW2, fractional=True) == pytest.approx(37.2)
    # n = 3, fractional: weights 1/12, 1/3, 1/12 -> (1 + 4*2 + 100) / 6; rliable's: plain mean
    assert iqm([1, 2, 100], fractional=True) == pytest.approx(109 / 6)
    assert iqm([1, 2, 100]) == pytest.approx(103 / 3)
    assert iqm([3.5]) == iqm([3.5], fractional=True) == 3.5


def test_iqm_axis_and_pooling():
    m = np.array([[1., 10.], [2., 20.], [3., 30.], [4., 40.]])
    assert iqm(m) == pytest.approx(np.mean([3., 4., 10., 20.]))   # pooled over runs and tasks
    np.testing.assert_allclose(iqm(m, axis=0), [2.5, 25.0])


def test_fractional_iqm_is_the_middle_half_of_the_empirical_distribution():
    # Repeating every value 4 times keeps the distribution and makes n a multiple of 4, where the
    # trimmed mean is exactly the middle 50 %: the fractional rule must agree for any n.
    rng = np.random.default_rng(1)
    for n in (1, 2, 3, 5, 6, 7, 9, 10, 13):
        x = rng.lognormal(size=n)
        assert iqm(x, fractional=True) == pytest.approx(iqm(np.repeat(x, 4)))
        assert iqm(np.repeat(x, 4), fractional=True) == pytest.approx(iqm(np.repeat(x, 4)))


def test_iqm_equals_trim_mean_by_its_definition():
    """scipy.stats.trim_mean(x, 0.25) as written there: sort, drop n // 4 at each end, average."""
    def trim_mean(v):
        v = np.sort(np.ravel(v))
        cut = len(v) // 4
        return v[cut:len(v) - cut].mean()

    rng = np.random.default_rng(2)
    for n in range(1, 23):
        x = rng.normal(size=(n, 3))
        assert iqm(x) == pytest.approx(trim_mean(x))
        np.testing.assert_allclose(iqm(x, axis=0), [trim_mean(x[:, j]) for j in range(3)])


def test_probability_of_improvement_known_values():
    assert probability_of_improvement([5, 6, 7], [1, 2]) == 1.0       # disjoint
    assert probability_of_improvement([1, 2], [5, 6, 7]) == 0.0
    assert probability_of_improvement([1, 2, 3], [1, 2, 3]) == 0.5    # identical
    # x = 1 beats none of (2, 2, 4); x = 2 ties two (1); x = 3 beats two (2): 3 of 9 pairs
    assert probability_of_improvement([1, 2, 3], [2, 2, 4]) == pytest.approx(1 / 3)
    # averaged over tasks: task 0 as above, task 1 disjoint (1.0)
    x = np.array([[1, 10], [2, 11], [3, 12]])
    y = np.array([[2, 0], [2, 1], [4, 2]])
    assert probability_of_improvement(x, y) == pytest.approx((1 / 3 + 1) / 2)
    # run counts may differ between x and y: y's first 2 runs, task 0 then 3 of 6 pairs
    assert probability_of_improvement(x, y[:2]) == pytest.approx((1 / 2 + 1) / 2)


def test_probability_of_improvement_is_mann_whitney_u():
    """U / (n m), U counted pair by pair with ties as halves (what scipy.stats.mannwhitneyu returns)."""
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, 7).astype(float), rng.integers(0, 5, 9).astype(float)  # with ties
    u = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)
    assert probability_of_improvement(x, y) == pytest.approx(u / (7 * 9))


def test_probability_of_improvement_ci():
    assert probability_of_improvement_ci([5, 6, 7], [1, 2], reps=200) == (1.0, 1.0, 1.0)
    assert probability_of_improvement_ci([3, 3], [3, 3, 3], reps=200) == (0.5, 0.5, 0.5)
    rng = np.random.default_rng(4)
    x, y = rng.normal(0.3, 1, (12, 2)), rng.normal(0, 1, (12, 2))
    p, lo, hi = probability_of_improvement_ci(x, y, reps=500)
    assert 0 <= lo < p < hi <= 1
    assert probability_of_improvement_ci(x, y, reps=500) == (p, lo, hi)


def test_bootstrap_ci_contains_the_point_and_is_reproducible():
    rng = np.random.default_rng(5)
    scores = rng.normal(0.7, 0.1, (10, 3))
    ci = stratified_bootstrap_ci(scores, reps=500, seed=7)
    assert ci.lo < ci.point < ci.hi
    assert ci.point == iqm(scores)
    assert stratified_bootstrap_ci(scores, reps=500, seed=7) == ci
    assert stratified_bootstrap_ci(scores, reps=500, seed=8) != ci
    assert stratified_bootstrap_ci(np.full((6, 2), 0.25), reps=50) == (0.25, 0.25, 0.25)
    # a 1-D array is one task
    assert stratified_bootstrap_ci(scores[:, 0], reps=200) == \
        stratified_bootstrap_ci(scores[:, :1], reps=200)


def test_bootstrap_ci_of_a_mean_matches_the_normal_interval():
    # 400 draws of N(0, 1): the percentile interval of the mean is about mean +- 1.96 s / sqrt(n)
    x = np.random.default_rng(6).normal(size=400)
    p, lo, hi = stratified_bootstrap_ci(x, np.mean, reps=2000)
    half = 1.96 * x.std() / np.sqrt(len(x))
    assert (hi - lo) / 2 == pytest.approx(half, rel=0.1)
    assert (lo + hi) / 2 == pytest.approx(p, abs=0.2 * half)


def test_bootstrap_ci_shrinks_with_more_runs():
    rng = np.random.default_rng(9)
    widths = []
    for runs in (8, 32, 128):
        _, lo, hi = stratified_bootstrap_ci(rng.normal(size=(runs, 2)), reps=400)
        widths.append(hi - lo)
    assert widths[0] > 1.5 * widths[1] > 2.25 * widths[2]   # about halves per 4x runs


def test_bootstrap_is_stratified_by_task():
    runs, tasks = 5, 3
    # score = 100 * task + run: tells which task and run every resampled value came from
    scores = 100.0 * np.arange(tasks) + np.arange(runs)[:, None]
    seen = []

    def record(m):
        seen.append(m.copy())
        return 0.0

    stratified_bootstrap_ci(scores, record, reps=100)
    samples = seen[1:]   # seen[0] is the point on the data itself
    assert len(samples) == 100
    for m in samples:
        assert m.shape == (runs, tasks)                       # each task keeps its run count
        assert np.all(m // 100 == np.arange(tasks))           # ... and draws from its own runs
    # independently per task, not whole rows: the run drawn differs between tasks somewhere
    assert any(len({tuple(m[:, t] % 100) for t in range(tasks)}) > 1 for m in samples)
    # with replacement: some sample repeats a run
    assert any(len(set(m[:, 0])) < runs for m in samples)


def test_performance_profile_known_values():
    taus = [0, 1, 2.5, 4]
    prof, lo, hi = performance_profile([1, 2, 3, 4], taus, reps=300)
    np.testing.assert_allclose(prof, [1, 0.75, 0.5, 0])     # strictly above tau
    assert lo[0] == hi[0] == 1 and lo[3] == hi[3] == 0       # no sample crosses these
    assert np.all(lo <= prof) and np.all(prof <= hi) and lo[1] < hi[1]
    # averaged over tasks: task 0 all above 0.5, task 1 half above
    prof2, _, _ = performance_profile([[1, 0], [1, 1]], [0.5], reps=10)
    np.testing.assert_allclose(prof2, [0.75])


def test_sample_efficiency_curve_steps():
    # x: evaluations spent; y: the deployed policy's score at that checkpoint
    a = [(0, 0.1), (10, 0.5), (20, 0.9)]
    b = [(5, 0.2), (15, 0.6), (15, 0.7)]   # two checkpoints at 15: the later one is deployed
    c = sample_efficiency_curve([a], xs=[0, 9, 10, 19, 20, 50], reps=20)
    np.testing.assert_allclose(c.point, [0.1, 0.1, 0.5, 0.5, 0.9, 0.9])
    np.testing.assert_array_equal(c.lo, c.point)            # one run: nothing to redraw
    c = sample_efficiency_curve([a, b], statistic=np.mean, reps=200)
    np.testing.assert_array_equal(c.x, [5, 10, 15, 20])     # from b's first checkpoint on
    np.testing.assert_allclose(c.point, [(0.1 + 0.2) / 2, (0.5 + 0.2) / 2, (0.5 + 0.7) / 2,
                                         (0.9 + 0.7) / 2])
    assert np.all(c.lo <= c.point) and np.all(c.point <= c.hi)
    assert sample_efficiency_curve([a, b], reps=200).lo.tolist() == \
        sample_efficiency_curve([a, b], reps=200).lo.tolist()


def test_gain_share():
    assert gain_share(0.8, 0.8, 0.9) == 0.0
    assert gain_share(0.9, 0.8, 0.9) == 1.0
    assert gain_share(0.85, 0.8, 0.9) == pytest.approx(0.5)
    assert gain_share(0.7, 0.8, 0.9) == pytest.approx(-1.0)
    # lower-is-better units (perplexity): the share reads the same
    assert gain_share(25.0, 30.0, 20.0) == pytest.approx(0.5)
    np.testing.assert_allclose(gain_share([0.8, 0.9], 0.8, [0.9, 1.0]), [0.0, 0.5])
    with pytest.raises(ValueError, match="skyline equals best_fixed"):
        gain_share(0.9, 0.8, 0.8)


def test_adaptive_gain_measurable():
    rng = np.random.default_rng(10)
    fixed = rng.uniform(0.8, 0.9, 200)
    g = adaptive_gain_measurable(fixed + 0.02 + rng.normal(0, 0.01, 200), fixed, reps=500)
    assert g.measurable and 0 < g.lo < g.point < g.hi
    g = adaptive_gain_measurable(fixed + rng.normal(0, 0.01, 200), fixed, reps=500)
    assert not g.measurable and g.lo < 0 < g.hi
    g = adaptive_gain_measurable(fixed, fixed, reps=50)
    assert g == (0.0, 0.0, 0.0, False)
    # a gain in 10 % of the decisions only: the mean sees it, an IQM would trim it to 0
    sky = fixed.copy()
    sky[::10] += 0.5
    g = adaptive_gain_measurable(sky, fixed, reps=500)
    assert g.measurable and g.point == pytest.approx(0.05)
    assert not adaptive_gain_measurable(sky, fixed, statistic=iqm, reps=500).measurable


@pytest.mark.parametrize("call, name", [
    (lambda: iqm([]), "x is empty"),
    (lambda: iqm([1.0, np.nan]), "x holds 1 NaN"),
    (lambda: iqm([[1, 2], [3]]), "x is not an array"),
    (lambda: stratified_bootstrap_ci(np.zeros((2, 2, 2))), "scores must be"),
    (lambda: stratified_bootstrap_ci([1, np.inf]), "scores holds"),
    (lambda: stratified_bootstrap_ci([1, 2], level=1.0), "level"),
    (lambda: stratified_bootstrap_ci([1, 2], level=0), "level"),
    (lambda: stratified_bootstrap_ci([1, 2], reps=0), "reps"),
    (lambda: probability_of_improvement(np.ones((3, 2)), np.ones((3, 3))), "x and y"),
    (lambda: probability_of_improvement([], [1]), "x is empty"),
    (lambda: performance_profile([1, 2], []), "taus is empty"),
    (lambda: sample_efficiency_curve([]), "points is empty"),
    (lambda: sample_efficiency_curve([[(1, 0.5), (0, 0.6)]]), r"points\[0\]: x decreases"),
    (lambda: sample_efficiency_curve([[(0, 0.5)], [(0, 1, 2)]]), r"points\[1\] must be"),
    (lambda: sample_efficiency_curve([[(5, 0.5)]], xs=[0, 5]), "xs starts"),
    (lambda: gain_share([1, 2], [1, 2, 3], 4), "do not broadcast"),
    (lambda: gain_share(1, np.nan, 2), "best_fixed holds"),
    (lambda: adaptive_gain_measurable([1, 2], [1]), "must have one shape"),
    (lambda: adaptive_gain_measurable([1, 2], [1, 2], level=1.5), "level"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
