"""Token ids on the wire (llm_split.wire.ids): sizes, the edge's embedding, lost packets."""
import pytest
import torch

from llm_split.lossy import lossy_step
from llm_split.wire.ids import HEADER_BYTES, IdCodec


def _codec(smol_split, payload=40, fill="zero"):
    return IdCodec(lambda ids: smol_split.head(ids, 0), payload, fill)


def test_sizes_and_a_clean_round_trip(smol_split, lee_windows):
    ids = lee_windows[0].ids
    codec = _codec(smol_split)  # 40 bytes: a 12-byte header and 7 ids per packet
    packets = codec.encode(ids)
    assert len(packets) == codec.n_packets(len(ids)) == -(-len(ids) // 7)
    assert sum(map(len, packets)) == codec.wire_bytes(len(ids)) == 4 * len(ids) + HEADER_BYTES * len(packets)
    got, missing = codec.received_ids(packets, [])
    assert torch.equal(got, ids) and not missing.any()
    hidden, erased = codec.rebuild(packets, [])
    assert torch.equal(hidden, smol_split.head(ids.unsqueeze(0), 0)[0]) and not erased.any()


def test_a_lost_packet_erases_its_tokens_rows(smol_split, lee_windows):
    ids = lee_windows[0].ids
    codec = _codec(smol_split)
    hidden, erased = codec.rebuild(codec.encode(ids), [1])
    assert erased[7:14].all() and not erased[:7].any() and not erased[14:].any()
    assert (hidden[7:14] == 0).all()
    with pytest.raises(ValueError, match="lost: packet indices"):
        codec.rebuild(codec.encode(ids), [99])
    with pytest.raises(ValueError, match="payload_bytes: 12 must be an integer >= 16"):
        IdCodec(lambda ids: ids, 12)


def test_ids_give_the_clean_model_and_lost_ids_damage_it(evaluator):
    codec = IdCodec(lambda ids: evaluator.split.head(ids, 0), 40, "mean")
    packets = codec.encode(evaluator.windows[0].ids)
    clean = lossy_step(evaluator, codec, 0, 0, [], packets)
    assert clean.nll == pytest.approx(evaluator.window_nll(0, 30), rel=1e-5) and clean.erased_fraction == 0
    damaged = lossy_step(evaluator, codec, 0, 0, [2, 3], packets)
    assert damaged.nll > clean.nll and damaged.erased_fraction == pytest.approx(14 / len(evaluator.windows[0].ids))
