"""The per-run service figures (cosim.outputs.service) on requests made by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cosim.outputs.service import figures_side_by_side, format_figures, service_figures


def _requests(n=40, decode=0, met=None, radio=True):
    rng = np.random.default_rng(1)
    latency = rng.uniform(0.1, 0.3, n)
    return pd.DataFrame({
        "latency_s": latency, "ttft_s": latency * (0.5 if decode else 1.0),
        "itl_s": latency * 0.5 / decode if decode else np.full(n, np.nan),
        "met_target": np.full(n, np.nan) if met is None else met,
        "ue_compute_j": np.full(n, 0.5), "ue_radio_j": np.full(n, 1.5 if radio else np.nan),
        "new_tokens": np.full(n, decode)})


def test_percentiles_shares_and_energy_per_token():
    req = _requests(decode=3, met=np.r_[np.ones(30), np.zeros(10)])
    t = service_figures(req)
    assert t.loc["latency p95", "value"] == pytest.approx(np.percentile(req["latency_s"], 95))
    assert t.loc["latency p95", "lo"] <= t.loc["latency p95", "value"] <= t.loc["latency p95", "hi"]
    assert t.loc["met latency target", "value"] == pytest.approx(0.75)
    assert 0.5 < t.loc["met latency target", "lo"] < 0.75 < t.loc["met latency target", "hi"] < 1
    assert t.loc["UE energy per request", "value"] == pytest.approx(2.0)
    assert t.loc["UE energy per token", "value"] == pytest.approx(2.0 / 4)  # the first token and 3 more
    assert "inter-token latency p50" in t.index


def test_figures_a_run_cannot_give_are_left_out():
    t = service_figures(_requests(radio=False))
    assert "inter-token latency p50" not in t.index and "met latency target" not in t.index
    assert "UE energy per request" not in t.index and "time to first token p99" in t.index
    old = _requests().drop(columns=["ttft_s", "itl_s", "met_target", "ue_compute_j", "ue_radio_j"])
    assert list(service_figures(old).index) == ["requests", "latency p50", "latency p95", "latency p99"]


def test_text_forms():
    t = service_figures(_requests(n=1))
    assert np.isnan(t.loc["latency p50", "lo"])  # one request: no interval
    assert "latency p50" in format_figures(t)
    side = figures_side_by_side({"a": _requests(), "b": _requests(decode=2)})
    assert side.loc["inter-token latency p50 (s)", "a"] == "" and "[" in side.loc["inter-token latency p50 (s)", "b"]
