"""Damage models: observed rates match p, same seed same damage, fills do what they say."""
import pytest
import torch

from llm_split import (Codec, Damage, element_erasure, fill_erased, gaussian_noise, lost_from_fates,
                       packet_erasure, random_loss_map)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("p", [0.01, 0.1, 0.3])
def test_element_erasure_rate_matches_p(p):
    h = torch.ones(500, 400)
    out, erased = element_erasure(h, p, _gen())
    n = h.numel()
    sigma = (p * (1 - p) / n) ** 0.5
    assert abs(erased.float().mean().item() - p) < 5 * sigma
    assert torch.equal(out == 0, erased)


def test_packet_loss_rate_matches_p():
    lost = random_loss_map(20000, 0.2, _gen())
    assert abs(len(lost) / 20000 - 0.2) < 5 * (0.2 * 0.8 / 20000) ** 0.5


def test_same_seed_same_damage_other_seed_differs():
    h = torch.randn(64, 32)
    for d in (Damage("element", 0.2), Damage("packet", 0.3, codec=Codec(32, tensor_bytes=64)),
              Damage("noise", snr_db=10)):
        assert torch.equal(d.apply(h, _gen(7)), d.apply(h, _gen(7)))
        assert not torch.equal(d.apply(h, _gen(7)), d.apply(h, _gen(8)))


def test_gaussian_noise_snr():
    h = torch.randn(400, 256, generator=_gen(1)) * 3
    noisy = gaussian_noise(h, 10.0, _gen(2))
    snr = h.pow(2).mean() / (noisy - h).pow(2).mean()
    assert abs(10 * torch.log10(snr).item() - 10.0) < 0.1


def test_packet_erasure_uses_codec():
    h = torch.randn(16, 32)
    out, erased = packet_erasure(h, Codec(32, "float32", tensor_bytes=128), lost={0})
    assert erased[0].all() and not erased[1:].any()
    assert torch.equal(out[1:], h[1:])


def test_lost_from_fates_with_deadline():
    assert lost_from_fates([0.001, None, 0.02, 0.004], deadline_s=0.01) == {1, 2}
    assert lost_from_fates([0.001, None, 0.02]) == {1}


def test_mean_fill_and_sink_row():
    h = torch.tensor([[100.0, 100.0], [1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    erased = torch.tensor([[True, False], [False, False], [False, True], [True, True]])
    out = fill_erased(h, erased, "mean", sink_row=torch.tensor([7.0, 8.0]))
    # Row 0 (the sink) is excluded from the means and restored from the edge's copy.
    assert torch.equal(out, torch.tensor([[7.0, 8.0], [1.0, 2.0], [3.0, 2.0], [2.0, 2.0]]))
    assert torch.equal(fill_erased(h, erased, "zero")[erased], torch.zeros(4))


@pytest.mark.parametrize("kwargs, match", [
    (dict(mode="burst"), "mode: 'burst' is not one of"),
    (dict(mode="element", p=1.5), r"p: 1.5 is not a probability in \[0, 1\]"),
    (dict(mode="element", fill="nan"), "fill: 'nan' is not one of"),
])
def test_bad_damage_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Damage(**kwargs)
