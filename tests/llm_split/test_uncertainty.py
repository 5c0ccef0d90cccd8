"""Perplexity intervals over mask seeds (llm_split.uncertainty)."""
import math

import numpy as np
import pytest

from llm_split.uncertainty import ppl_interval


def test_interval_covers_the_mean_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        ci = ppl_interval(list(rng.normal(3.0, 0.5, 4)))
        hits += ci.lo <= math.exp(3.0) <= ci.hi
    assert 0.93 < hits / 2000 < 0.97


def test_interval_edges():
    ci = ppl_interval([1.0, 1.0, 1.0])
    assert ci.lo == ci.value == ci.hi == pytest.approx(math.e) and ci.rel_half == pytest.approx(0.0)
    assert ppl_interval([2.0]).rel_half == math.inf  # one seed says nothing about the spread
    assert ppl_interval([2.0], deterministic=True).rel_half == 0.0
    ci = ppl_interval([0.0, 2.0])  # t(1) = 12.706, sd = sqrt(2)
    assert math.log(ci.hi) == pytest.approx(1 + 12.706) and ci.n == 2
