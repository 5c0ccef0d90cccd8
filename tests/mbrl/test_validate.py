import dataclasses

import numpy as np
import pytest

from mbrl.config import parse_config
from mbrl.dataset import Dataset
from mbrl.validate import cross_validate, seed_folds

from testkit.synthetic import TINY, SyntheticDataset, synthetic


def _two_seed_dataset():
    """Synthetic train states from 4 traces (2 variants x 2 seeds, seed inner); the held-out
    table is all NaN, so any use of it would show in the scores."""
    train, table = synthetic(n_episodes=8)
    train.trace_id = train.episode % 4
    train.trace = ["a_s1", "a_s2", "b_s1", "b_s2"]
    test, test_table = synthetic(n_episodes=2, seed=5)
    test_table = dataclasses.replace(test_table, ppl=np.full_like(test_table.ppl, np.nan))
    return Dataset(train, test, table, test_table)


def test_seed_folds_hold_out_each_seed_once():
    ds = _two_seed_dataset()
    folds = seed_folds(ds, 2)
    assert len(folds) == 2
    for s, f in enumerate(folds):
        assert set(f.test.trace_id % 2) == {s} and set(f.train.trace_id % 2) == {1 - s}
        assert len(f.train) + len(f.test) == len(ds.train) and len(f.train_table.ppl) == len(f.train)
    with pytest.raises(ValueError, match="traces.train_seeds: validation needs at least 2"):
        seed_folds(ds, 1)


def test_folds_group_seeds_and_planned_scores_use_no_heldout_table():
    ds = _two_seed_dataset()
    ds.train.trace_id = ds.train.episode % 8  # 4 seeds (index t % 4), 2 variants
    folds = seed_folds(ds, 4, n_folds=2)
    assert [sorted(set(f.test.trace_id % 4)) for f in folds] == [[0, 2], [1, 3]]
    with pytest.raises(ValueError, match="folds: 5 must be in 2..4"):
        seed_folds(ds, 4, n_folds=5)
    cfg = parse_config({**TINY, "traces": {"train_seeds": [1, 2, 4, 5], "test_seeds": [3]}})
    res = cross_validate(cfg, ds, {"columns": {}, "columns:2": {"surrogate": {"columns": 2}}}, seeds=[0],
                         n_folds=2, planned=True)
    for r in res.values():  # finite: the NaN held-out table was never read; the planned rule closes most of the gap
        assert len(r["fracs"]) == 2 and np.isfinite(r["fracs"]).all() and r["mean"] > 0.5, res


def test_validation_tells_a_trained_learner_from_an_untrained_one_without_the_heldout_table():
    cfg = parse_config({**TINY, "traces": {"train_seeds": [1, 2]}})
    res = cross_validate(cfg, _two_seed_dataset(), {
        "trained": {},
        "untrained": {"ppo": {"timesteps": 256, "eval_every": 256}},
    }, seeds=[0])
    for r in res.values():
        assert len(r["fracs"]) == 2 and np.isfinite(r["fracs"]).all()
    assert res["trained"]["mean"] > 0.8 and res["trained"]["mean"] > res["untrained"]["mean"] + 0.3, res


def test_overrides_replace_fields_and_name_bad_keys():
    from mbrl.config import with_overrides

    cfg = with_overrides(parse_config({}), {"seed": 4, "surrogate": {"budget": 600, "seed": 4}})
    assert (cfg.seed, cfg.surrogate.budget, cfg.surrogate.seed, cfg.surrogate.init) == (4, 600, 4, 100)
    with pytest.raises(ValueError, match="surogate: unknown key; allowed: .*surrogate"):
        with_overrides(cfg, {"surogate": {"budget": 1}})
    with pytest.raises(ValueError, match="surrogate.budjet: unknown key; allowed: .*budget"):
        with_overrides(cfg, {"surrogate": {"budjet": 1}})
    with pytest.raises(ValueError, match="surrogate.acquisition: 'best' is not one of"):
        with_overrides(cfg, {"surrogate": {"acquisition": "best"}})


def test_selection_cost_is_every_distinct_evaluation_the_validation_reads_once():
    from mbrl.dataset import Dataset
    from mbrl.validate import selection_cost

    s = SyntheticDataset()
    fold = Dataset(s.test, s.train, s.test_table, s.train_table)  # validation states: the synthetic train set
    # its damaged states share one (window, lost set): 31 distinct evaluations, every k read
    assert selection_cost([fold]) == {"paid": 31, "estimated_s": pytest.approx(31 * s.train_table.cost_s)}
    assert selection_cost([fold, fold])["paid"] == 31  # a question two folds ask is paid once
