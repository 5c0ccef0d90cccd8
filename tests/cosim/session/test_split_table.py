"""The report's per-split table states log-perplexity medians and means with their intervals."""
import numpy as np
import pandas as pd
import pytest

from cosim.outputs.report import PARTS, split_table


def test_split_table_log_perplexity_and_interval():
    rng = np.random.default_rng(0)
    n = 400
    k = np.repeat([0, 9], n // 2)
    log_ppl = np.where(k == 0, rng.normal(3.5, 1.0, n), rng.normal(3.0, 0.2, n))
    log_ppl[:3] = 20.0  # three disastrous requests at k = 0
    req = pd.DataFrame({"k": k, "nll": log_ppl * 16, "scored_tokens": 16, "latency_s": 0.1, "packets_lost": 0,
                        "erased_fraction": 0.0, "ppl": np.exp(log_ppl), "ppl_clean": 30.0,
                        **{p: 0.01 for p in PARTS}})
    t = split_table(req)
    assert list(t["requests"]) == [200, 200]
    assert t.loc[0, "log_ppl_mean"] == pytest.approx(log_ppl[:200].mean())
    assert t.loc[0, "log_ppl_median"] == pytest.approx(np.median(log_ppl[:200]))
    assert t.loc[0, "log_ppl_ci95"] == pytest.approx(1.96 * log_ppl[:200].std(ddof=1) / np.sqrt(200))
    # the mean perplexity is ruled by the three outliers; the median log perplexity is not
    assert t.loc[0, "ppl"] > 1e5 and 3.3 < t.loc[0, "log_ppl_median"] < 3.7
    assert t.loc[9, "log_ppl_ci95"] < t.loc[0, "log_ppl_ci95"]
