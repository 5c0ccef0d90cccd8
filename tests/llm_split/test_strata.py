"""The exact expectation over decisive elements: the strata, the forcing, and what it buys."""
import math
import statistics

import pytest
import torch

from llm_split import Codec, Damage
from llm_split.damage.strata import decisive_elements, decisive_units, element_packets, strata


def test_strata_are_every_assignment_with_its_probability():
    got = strata((5, 9), 0.1)
    assert len(got) == 4
    weights = {tuple(sorted(f.items())): w for f, w in got}
    assert weights[((5, False), (9, False))] == pytest.approx(0.81)
    assert weights[((5, True), (9, False))] == pytest.approx(0.09)
    assert weights[((5, True), (9, True))] == pytest.approx(0.01)
    assert sum(w for _, w in got) == pytest.approx(1.0)
    assert strata((), 0.3) == [({}, 1.0)]
    assert strata((4,), 1.0) == [({4: True}, 1.0)]  # zero-probability assignments are left out


def test_element_packets_are_the_packets_whose_loss_erases_it():
    hidden = torch.randn(6, 40)
    for dtype in ("float16", "int8"):
        codec = Codec(40, dtype, tensor_bytes=52)
        n = codec.n_packets(6)
        for row, col in ((0, 0), (2, 25), (5, 39)):
            carriers = element_packets(codec, row, col)
            for packet in range(n):
                _, erased = codec.rebuild(codec.encode(hidden), {packet})
                assert bool(erased[row, col]) == (packet in carriers), (dtype, row, col, packet)


def test_decisive_elements_are_the_huge_ones_and_skip_the_sink_row():
    h = torch.ones(4, 8)
    h[0, 3], h[2, 5], h[1, 1] = 5000.0, -800.0, 50.0
    assert decisive_elements(h, 100.0, skip_row0=False) == [(0, 3), (2, 5)]
    assert decisive_elements(h, 100.0, skip_row0=True) == [(2, 5)]
    assert decisive_units(h, Damage("element", 0.1), 1, 100.0) == (3,)
    assert decisive_units(h, Damage("element", 0.1, sink=True), 4, 100.0) == (2 * 8 + 5,)
    assert decisive_units(h, Damage("element", 0.1), 0, 100.0) == ()
    assert decisive_units(h, Damage("noise"), 2, 100.0) == ()


@pytest.mark.parametrize("lost", [True, False])
def test_forced_units_override_the_draw(lost):
    h = torch.ones(3, 16)
    gen = lambda: torch.Generator().manual_seed(1)  # noqa: E731
    for seed_p in (0.0, 1.0):
        out = Damage("element", seed_p).apply(h, gen(), forced={17: lost})
        assert (out.view(-1)[17] == 0) == lost
    codec = Codec(16, "float32", tensor_bytes=16)  # 4 elements per packet
    out = Damage("packet", 0.0, codec=codec).apply(h, gen(), forced={2: lost})
    assert bool((out.view(-1)[8:12] == 0).all()) == lost


def test_decisive_zero_is_the_plain_draw(evaluator):
    d = Damage("element", 0.1)
    plain = evaluator.window_nll(0, 15, d, seed=2)
    assert evaluator.window_nll(0, 15, d, seed=2, decisive=0) == plain


def test_stratified_nll_weighs_the_decisive_element_exactly(evaluator):
    """k = 15 without the sink row: the BOS token's channel 507 decides the window."""
    k, d = 15, Damage("element", 0.1)
    clean = evaluator.cache.get(0, k)
    units = decisive_units(clean, d, 1, 100.0)
    assert units == (507,)  # row 0, channel 507
    by_hand = 0.0
    for lost, weight in ((False, 0.9), (True, 0.1)):
        hidden = d.apply(clean.cpu(), evaluator.generator(3, 0), None, {507: lost})
        by_hand += weight * evaluator.tail_nll(0, k, hidden)
    assert evaluator.window_nll(0, k, d, seed=3, decisive=1) == pytest.approx(by_hand, rel=1e-9)
    n = evaluator.windows[0].n_scored
    erased = d.apply(clean.cpu(), evaluator.generator(3, 0), None, {507: True})
    assert evaluator.tail_nll(0, k, erased) / n > 2 + by_hand / n  # the element alone costs > 2 nats/token


def test_stratifying_removes_the_decisive_elements_share_of_the_spread(evaluator):
    """Plain draws erase the element in a share p of seeds, so their spread is at least
    sqrt(p (1 - p)) x (NLL with it erased - NLL with it kept) (law of total variance): six plain
    draws often miss it altogether and look tight while being biased low."""
    k, p = 15, 0.1
    d = Damage("element", p)
    clean = evaluator.cache.get(0, k).cpu()
    forced = {lost: [evaluator.tail_nll(0, k, d.apply(clean, evaluator.generator(s, 0), None, {507: lost}))
                     for s in range(6)] for lost in (False, True)}
    floor_sd = math.sqrt(p * (1 - p)) * (statistics.mean(forced[True]) - statistics.mean(forced[False]))
    strat = [evaluator.window_nll(0, k, d, s, decisive=1) for s in range(6)]
    assert statistics.stdev(strat) < 0.25 * floor_sd, (strat, floor_sd)
    assert statistics.mean(strat) == pytest.approx(0.9 * statistics.mean(forced[False]) + 0.1 * statistics.mean(forced[True]))
