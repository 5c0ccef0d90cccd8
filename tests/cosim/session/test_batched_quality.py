"""Deferred, deduplicated and batched tail passes give the quality a pass per request gives."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.session.inference import SplitInference
from cosim.session.config import parse_session


@pytest.fixture(scope="module")
def infer():
    cfg = parse_session({"model": {"wire_dtype": "float16"}, "requests": {"prompt_tokens": 24, "windows": 3},
                         "split": {"policy": "fixed", "k": 4}})
    return SplitInference(cfg, payload_bytes=600)


def _jobs(infer, n=12, seed=0):
    rng = np.random.default_rng(seed)
    jobs = []
    for _ in range(n):
        w, k = int(rng.integers(infer.n_windows)), int(rng.choice([2, 9, 20]))
        packets = infer.packets(w, k)
        lost = set(rng.choice(len(packets), size=int(rng.integers(0, len(packets) // 2 + 1)), replace=False).tolist())
        jobs.append((w, k, packets, lost))
    return jobs + jobs[:4]  # repeats: the same (window, k, lost set) again


@pytest.mark.slow  # loads SmolLM2 and its hidden-state caches: about a minute on 2 busy cores
@pytest.mark.parametrize("batch", [1, 8])
def test_deferred_quality_equals_one_pass_per_request(infer, batch):
    infer._seen.clear()  # a fresh memory for each batch size (the fixture is shared)
    jobs = _jobs(infer)
    inline = [infer._evaluate(w, k, packets, lost) for w, k, packets, lost in jobs]  # today's pass per request
    before = infer.tail_passes
    keys = [infer.defer_quality(w, k, packets, lost) for w, k, packets, lost in jobs]
    infer.flush_quality(batch)
    deferred = [infer.quality_of(key) for key in keys]
    per_k = [sum(1 for key in set(keys) if key[1] == k) for k in {key[1] for key in keys}]
    assert len(set(keys)) < len(jobs) and any(q.erased_fraction > 0 for q in inline)
    assert infer.tail_passes - before == sum(-(-n // batch) for n in per_k)  # each distinct key once
    for a, b in zip(inline, deferred):
        if batch == 1:  # bit for bit
            assert (a.nll, a.nll_clean, a.erased_fraction, a.next_token) == (b.nll, b.nll_clean, b.erased_fraction, b.next_token)
        else:  # float32 rounding of a bigger matrix product
            assert b.nll == pytest.approx(a.nll, rel=1e-5) and a.erased_fraction == b.erased_fraction
