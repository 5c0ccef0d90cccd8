"""Perplexity: trained model in the tens, random weights in the thousands, split exact,
deterministic damage, one head pass per window."""
import math

import pytest
import torch

from llm_split import Codec, Damage, Evaluator, SplitModel, fill_erased, random_like


def test_clean_perplexity_is_that_of_a_trained_model(clean_ppl):
    assert 10 < clean_ppl < 80, clean_ppl


def test_tail_only_perplexity_equals_full(evaluator, clean_ppl):
    for k in (15, 30):
        assert math.isclose(evaluator.perplexity(k), clean_ppl, rel_tol=1e-5)


def test_random_weights_give_perplexity_in_the_thousands(smol, lee_windows):
    rand = Evaluator(SplitModel(random_like(smol[0], seed=0)), lee_windows[:1], ks=[15])
    assert rand.perplexity(15) > 1000


def test_same_seed_same_perplexity(evaluator):
    d = Damage("element", 0.1)
    a = evaluator.perplexity(5, d, seed=3, windows=[0])
    assert evaluator.perplexity(5, d, seed=3, windows=[0]) == a
    assert evaluator.perplexity(5, d, seed=4, windows=[0]) != a
    assert a > evaluator.perplexity(5, windows=[0])


def test_head_runs_once_per_window(smol_split, lee_windows):
    ev = Evaluator(smol_split, lee_windows, ks=[1, 15, 29])
    cells = [(k, Damage("element", p)) for k in (15, 29) for p in (0.0, 0.05)]
    ppl = ev.sweep(cells, seed=0)
    assert ev.cache.head_passes == len(lee_windows)
    assert len(ppl) == len(cells) and all(math.isfinite(v) for v in ppl)
    per_window = 3 * len(lee_windows[0].ids) * smol_split.hidden_size * 4
    assert ev.cache.peak_bytes == len(lee_windows) * per_window


def test_cache_is_bounded(smol_split, lee_windows):
    ev = Evaluator(smol_split, lee_windows, ks=[1, 2], max_cache_mb=0.9)  # about one window
    for w in range(len(lee_windows)):
        ev.cache.get(w, 1)
    ev.cache.get(0, 2)
    assert ev.cache.peak_bytes <= 0.9 * 2**20
    assert ev.cache.head_passes == len(lee_windows) + 1  # window 0 was evicted and recomputed


def test_uncached_k_raises(evaluator):
    with pytest.raises(ValueError, match=r"k: 7 is not one of the cached split points"):
        evaluator.perplexity(7)


def test_sink_row_is_the_bos_row(evaluator):
    assert torch.allclose(evaluator.sink_row(15), evaluator.cache.get(1, 15)[0], atol=1e-3)


def test_one_erased_sink_element_is_catastrophic_and_sink_fill_repairs_it(evaluator):
    # At k=15 the BOS row's channel 507 is about 25,000; erasing that single element ruins the
    # window, and the edge's own copy of the BOS row repairs it exactly.
    clean = evaluator.cache.get(0, 15)
    erased = torch.zeros_like(clean, dtype=torch.bool)
    erased[0, 507] = True
    base = evaluator.tail_nll(0, 15, clean)
    hurt = evaluator.tail_nll(0, 15, fill_erased(clean, erased, "zero"))
    fixed = evaluator.tail_nll(0, 15, fill_erased(clean, erased, "zero", evaluator.sink_row(15)))
    n = evaluator.windows[0].n_scored
    assert math.exp(hurt / n) > 10 * math.exp(base / n)
    assert fixed == pytest.approx(base, rel=1e-4)


def test_packet_mode_with_protection(evaluator):
    codec = Codec(576, "float16", 1024, protect=(507,))
    ppl = evaluator.perplexity(15, Damage("packet", 0.1, codec=codec), windows=[0])
    assert math.isfinite(ppl) and ppl > evaluator.perplexity(15, windows=[0])


def test_compare_one_request_from_packet_fates(evaluator):
    # What the co-simulation does: encode, lose the packets ns-3 reported lost, rebuild, score.
    clean = evaluator.cache.get(0, 15)
    codec = Codec(576, "float16", 1024)
    packets = codec.encode(clean)
    rebuilt, erased = codec.rebuild(packets, lost={3, 4})
    q = evaluator.compare(0, 15, rebuilt)
    assert erased.any() and q["n_scored"] == evaluator.windows[0].n_scored
    assert q["clean_ppl"] == pytest.approx(evaluator.perplexity(15, windows=[0]), rel=1e-6)
    assert q["nll"] > q["clean_nll"]
