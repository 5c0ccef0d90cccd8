"""Codec: exact round trips, bounded int8 and int4 error, erasures located where packets were lost."""
import pytest
import torch

from llm_split import Codec
from llm_split.wire.codec import HEADER_BYTES


def _hidden(tokens=37, hidden=64, seed=0):
    h = torch.randn(tokens, hidden, generator=torch.Generator().manual_seed(seed)) * 4
    h[0, 5] = 2.5e4  # a sink-like outlier
    return h


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_round_trip_exact_for_float_formats(dtype):
    h = _hidden().to(getattr(torch, dtype)).to(torch.float32)  # representable in the wire format
    codec = Codec(64, dtype, tensor_bytes=100)
    out, erased = codec.rebuild(codec.encode(h), lost=[])
    assert torch.equal(out, h)
    assert not erased.any()


# int8: one float32 scale per token; int4: a float16 scale (rounded: 1e-3 slack) per 32 channels
@pytest.mark.parametrize("dtype, top, hidden, group, slack", [("int8", 127, 64, 64, 1e-6), ("int4", 7, 64, 32, 1e-3),
                                                            ("int4", 7, 63, 32, 1e-3)])
def test_integer_error_bounded_by_half_a_step_per_scale(dtype, top, hidden, group, slack):
    h = _hidden(hidden=hidden)
    codec = Codec(hidden, dtype, tensor_bytes=100)
    out, _ = codec.rebuild(codec.encode(h), lost=[])
    padded = torch.nn.functional.pad(h.abs(), (0, -hidden % group))
    step = (padded.reshape(len(h), -1, group).amax(2) / top).repeat_interleave(group, 1)[:, :hidden]
    assert ((out - h).abs() <= step / 2 + slack * step).all()
    assert (out - h).abs().max() > 0  # it is lossy


@pytest.mark.parametrize("dtype", ["float32", "float16", "int8", "int4"])
def test_sizes_and_headers(dtype):
    codec = Codec(64, dtype, tensor_bytes=100)
    packets = codec.encode(_hidden())
    assert len(packets) == codec.n_packets(37)
    assert sum(len(p) for p in packets) == codec.wire_bytes(37)
    assert all(len(p) <= HEADER_BYTES + 100 for p in packets)


def test_lost_packets_erase_exactly_their_elements():
    h = _hidden()
    codec = Codec(64, "float16", tensor_bytes=128)  # 64 elements per packet, rows of 64
    out, erased = codec.rebuild(codec.encode(h), lost={2, 5})
    expected = torch.zeros(37, 64, dtype=torch.bool)
    expected[[2, 5]] = True
    assert torch.equal(erased, expected)
    assert (out[erased] == 0).all()
    assert torch.equal(out[~erased], h.half().float()[~erased])


def test_int8_packet_loss_takes_values_and_scales():
    # int8 rows are 4 + 64 = 68 bytes; packet 1 holds stream bytes 100..199: values 28..63 of
    # row 1 (its scale sits in packet 0) and the scale of row 2, which erases all of row 2.
    codec = Codec(64, "int8", tensor_bytes=100)
    _, erased = codec.rebuild(codec.encode(_hidden()), lost={1})
    assert not erased[0].any()
    assert not erased[1, :28].any() and erased[1, 28:].all()
    assert erased[2].all()
    assert not erased[3:].any()


def test_int4_is_a_quarter_of_float16_and_loses_two_channels_a_byte():
    # int4 rows are 2 x 2 (a scale per 32 channels) + 32 = 36 bytes; packet 1 holds stream bytes
    # 100..199: row 2 from its byte 28 (channels 48..63; its scales sit in packet 0), rows 3 and 4
    # whole, row 5's scales and bytes 0..15 (so all of row 5)
    codec = Codec(64, "int4", tensor_bytes=100)
    assert codec.stream_bytes(37) == 37 * 36 and Codec(64, "float16").stream_bytes(37) == 4 * 37 * 32
    _, erased = codec.rebuild(codec.encode(_hidden()), lost={1})
    assert not erased[:2].any() and not erased[2, :48].any() and erased[2, 48:].all()
    assert erased[3:6].all() and not erased[6:].any()
    for row, col in ((2, 47), (2, 48), (5, 0), (5, 40)):  # element_spans says the same
        lost = any(100 <= b < 200 for lo, hi in codec.element_spans(row, col) for b in range(lo, hi))
        assert lost == bool(erased[row, col])


def test_int4_protected_channels_stay_float16():
    h = _hidden()
    codec = Codec(64, "int4", tensor_bytes=100, protect=(5,))
    out, _ = codec.rebuild(codec.encode(h), lost=[])
    assert torch.equal(out[:, 5], h[:, 5].half().float())


def test_protected_channels_survive_losses():
    h = _hidden()
    codec = Codec(64, "float32", tensor_bytes=256, protect=(5, 7))
    packets = codec.encode(h)
    out, erased = codec.rebuild(packets, lost=set(range(1, len(packets))))
    assert erased.float().mean() > 0.9
    assert torch.equal(out[:, [5, 7]], h[:, [5, 7]])
    assert codec.wire_bytes(37) - Codec(64, "float32", 256).wire_bytes(37) == len(packets) * 37 * 2 * 4


def test_decode_from_subset_matches_rebuild():
    h = _hidden()
    codec = Codec(64, "bfloat16", tensor_bytes=64, fill="mean")
    packets = codec.encode(h)
    a, ea = codec.decode({i: p for i, p in enumerate(packets) if i % 3}, tokens=37)
    b, eb = codec.rebuild(packets, lost=range(0, len(packets), 3))
    assert torch.equal(a, b) and torch.equal(ea, eb)


@pytest.mark.parametrize("kwargs, match", [
    (dict(dtype="fp8"), "dtype: 'fp8' is not one of"),
    (dict(tensor_bytes=8), "tensor_bytes: 8 must be an integer >= 16"),
    (dict(protect=(64,)), r"protect: channels \[64\] are outside 0..63"),
    (dict(fill="median"), "fill: 'median' is not one of"),
    (dict(dtype="int8", interleave=True), "interleave: needs a float wire dtype"),
    (dict(dtype="int4", interleave=True), "interleave: needs a float wire dtype .* not int4"),
    (dict(interleave="yes"), "interleave: 'yes' must be true or false"),
])
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Codec(64, **kwargs)


def test_bad_lost_index_and_foreign_packet_raise():
    codec = Codec(64, "float16", tensor_bytes=128)
    packets = codec.encode(_hidden())
    with pytest.raises(ValueError, match=r"lost: packet indices \[99\] are outside"):
        codec.rebuild(packets, lost=[99])
    other = Codec(64, "float32", tensor_bytes=128)
    with pytest.raises(ValueError, match="does not match this codec"):
        other.decode({0: packets[0]}, tokens=37)


def test_packet_sizes_match_encoded_packets():
    codec = Codec(64, "int8", tensor_bytes=100, protect=(1,))
    assert codec.packet_sizes(37) == [len(p) for p in codec.encode(_hidden())]


@pytest.mark.parametrize("dtype, payload", [("float16", 128), ("float32", 100), ("bfloat16", 77)])
def test_interleaved_round_trip_is_exact_and_sizes_unchanged(dtype, payload):
    h = _hidden().to(getattr(torch, dtype)).to(torch.float32)
    plain, spread = Codec(64, dtype, payload), Codec(64, dtype, payload, interleave=True)
    packets = spread.encode(h)
    assert [len(p) for p in packets] == [len(p) for p in plain.encode(h)] == spread.packet_sizes(37)
    out, erased = spread.rebuild(packets, lost=[])
    assert torch.equal(out, h) and not erased.any()


def test_interleaved_loss_erases_every_nth_element_across_all_tokens():
    # 37 x 64 float16 elements in packets of 64 elements: 37 packets, so packet i holds the flat
    # elements i, i + 37, i + 74, ...: one element of every token (64 = 37 + 27: two for some).
    h = _hidden()
    codec = Codec(64, "float16", tensor_bytes=128, interleave=True)
    packets = codec.encode(h)
    assert len(packets) == 37
    out, erased = codec.rebuild(packets, lost={2, 5})
    flat = torch.arange(37 * 64).reshape(37, 64) % 37
    assert torch.equal(erased, (flat == 2) | (flat == 5))
    assert erased.any(1).all()  # every token lost a little, none lost much
    assert erased.sum(1).max() <= 4
    assert torch.equal(out[~erased], h.half().float()[~erased])


def test_interleaved_packets_are_refused_by_a_plain_codec():
    packets = Codec(64, "float16", 128, interleave=True).encode(_hidden())
    with pytest.raises(ValueError, match=r"1, 2, 0, 37, 37, 64\).*interleave False"):
        Codec(64, "float16", 128).decode({0: packets[0]}, tokens=37)


def test_payload_bytes_is_the_deprecated_name_of_tensor_bytes():
    with pytest.warns(DeprecationWarning, match="tensor_bytes"):
        assert Codec(64, tensor_bytes=100).payload_bytes == 100
