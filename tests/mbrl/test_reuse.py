"""One real evaluation per distinct (window, lost packets, k), its answer reused for every train
state that shares it, and the ranking acquisition's choice of pairs."""
import numpy as np

from mbrl.config import parse_config
from mbrl.evaluator import TableEvaluator
from mbrl.surrogate import _column_picks, _ranking_picks, answer_groups, fit_surrogate

from testkit.synthetic import SyntheticDataset


def _grouped_dataset():
    ds = SyntheticDataset()
    dec = ds.train
    bad = np.flatnonzero(dec.loss_frac > 0)
    # four distinct lost sets x two windows among the damaged states: 8 groups of very unequal size
    for j, s in enumerate(bad):
        dec.lost[s] = frozenset({1 + j % 4} if j % 3 else {1, 2 + j % 4})
        dec.window[s] = j % 2
    # the real table is a function of (window, lost, k): make the states of one group agree
    t = ds.train_table
    base = t.ppl[bad[0]].copy()
    for s in bad:
        t.ppl[s] = base * (1 + 0.1 * len(dec.lost[s]) + 0.05 * min(dec.lost[s]) + 0.2 * dec.window[s])
    return ds


def test_a_paid_evaluation_fills_every_state_that_shares_it_and_counts_once():
    ds = _grouped_dataset()
    cfg = parse_config({"reward": {"a": 1.0}, "surrogate": {"budget": 60, "init": 20, "batch": 10, "epochs": 50,
                                                           "members": 2, "hidden": 8}})
    pool = np.flatnonzero(ds.train.loss_frac > 0)
    groups = answer_groups(ds.train, pool)
    sizes = [len(g) for g in groups]
    assert sum(sizes) == len(pool) and max(sizes) > 1
    te = TableEvaluator(ds.train_table, ds.train)
    sur, log, fit_s = fit_surrogate(ds, cfg, te)
    # every query a distinct (group, k), each one real evaluation, counted once
    asked = [(i, k) for i, k, _ in log.queried]
    assert len(set(asked)) == len(asked) == te.real_evals == te.lookups == 60
    assert fit_s == sum(r["fit_s"] for r in log.rounds) > log.rounds[-1]["fit_s"]  # every fit, not the last
    # its answer is the real value of every state of the group at that k
    q = cfg.reward.q(ds.train_table.ppl, ds.train_table.clean[:, None])
    assert len(log.cells) == sum(sizes[i] for i, _ in asked)
    assert log.reused_cells == len(log.cells) - te.real_evals > 0
    for s, k, y in log.cells:
        assert y == q[s, k]
    assert {s for s, _, _ in log.cells} <= set(pool.tolist())
    # without reuse: one evaluation per (state, k), nothing filled for free
    cfg2 = parse_config({"reward": {"a": 1.0}, "surrogate": {"budget": 60, "init": 20, "batch": 10, "epochs": 50,
                                                            "members": 2, "hidden": 8, "reuse": False}})
    te2 = TableEvaluator(ds.train_table, ds.train)
    _, log2, _ = fit_surrogate(ds, cfg2, te2)
    assert te2.lookups == len(log2.cells) == 60 and log2.reused_cells == 0
    # ... but the ledger still charges a repeated (window, lost set, k) once
    distinct = {te2.key(int(pool[i]), k) for i, k, _ in log2.queried}
    assert te2.real_evals == len(distinct) < 60


def test_budget_above_the_distinct_pairs_pays_each_once():
    ds = _grouped_dataset()
    cfg = parse_config({"surrogate": {"budget": 1000, "init": 50, "batch": 100, "epochs": 20, "members": 2,
                                      "hidden": 8}})
    n_groups = len(answer_groups(ds.train, np.flatnonzero(ds.train.loss_frac > 0)))
    te = TableEvaluator(ds.train_table, ds.train)
    _, log, _ = fit_surrogate(ds, cfg, te)
    assert te.real_evals == n_groups * 31 and len(log.cells) == int((ds.train.loss_frac > 0).sum()) * 31


def test_ranking_acquisition_asks_what_decides_the_best_k():
    L = 4
    k = np.arange(L + 1)

    def reward(q):
        return q + 0.1 * (L - k) / L

    mean = np.array([[-1.0, -1, -1, -1, -1],    # nothing paid: k = 0 first
                     [-1.0, -0.2, -1, -1, -1],  # k = 0 paid at -1, k = 1 predicted far better: challenge it
                     [-0.1, -2, -2, -2, -2]])   # k = 0 paid at -0.1, nothing can beat it: settled
    std = np.full_like(mean, 0.05)
    paid = np.zeros_like(mean, bool)
    paid[1:, 0] = True
    paid_y = np.where(paid, mean, 0.0)
    picks = _ranking_picks(mean, std, paid, paid_y, np.ones(3), reward, 1.0, 2)
    assert picks == [(0, 0), (1, 1)]
    # with room left, the spread fills it (the settled state 2 gets a pair only then)
    picks = _ranking_picks(mean, std, paid, paid_y, np.ones(3), reward, 1.0, 3)
    assert picks[:2] == [(0, 0), (1, 1)] and picks[2][0] == 2


def test_column_acquisition_shares_a_batch_among_the_best_columns():
    L = 3
    k = np.arange(L + 1)

    def reward(q):
        return q + 0.1 * (L - k) / L

    mean = np.tile([-0.1, -0.5, -0.2, -3.0], (4, 1))  # column order by mean reward: 0, 2, 1, 3
    std = np.tile(np.linspace(0.1, 0.4, 4)[:, None], (1, L + 1))  # row 3 the least certain
    paid = np.zeros_like(mean, bool)
    paid[:, 2] = [True, True, True, False]  # column 2 has one unpaid row left
    paid_y = np.where(paid, mean, 0.0)
    one = _column_picks(mean, std, paid, paid_y, np.ones(4), reward, 0.0, 4)
    assert one == [(3, 0), (2, 0), (1, 0), (0, 0)]  # the leader alone, least certain rows first
    three = _column_picks(mean, std, paid, paid_y, np.ones(4), reward, 0.0, 4, columns=3)
    assert three == [(3, 0), (2, 0), (3, 2), (3, 1)]  # column 2's share passes on to column 1
