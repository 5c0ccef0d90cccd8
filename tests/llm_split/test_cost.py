"""Cost model: shares and times move the right way with k; profiles are checked."""
import pytest

from llm_split import PROFILES, CostModel, DeviceProfile, measure_profile


def test_flop_share_and_times_are_monotone(smol):
    cost = CostModel(smol[0])
    shares = [cost.ue_flop_share(k, 256) for k in range(31)]
    assert shares[0] == 0 and 0.7 < shares[30] < 0.9  # the head keeps the rest at the edge
    assert all(a < b for a, b in zip(shares, shares[1:]))
    ue = [cost.ue_cost(k, 256)[0] for k in range(31)]
    edge = [cost.edge_cost(k, 256)[0] for k in range(31)]
    assert all(a < b for a, b in zip(ue[1:], ue[2:])) and all(a > b for a, b in zip(edge, edge[1:]))
    t, e = cost.ue_cost(10, 256)
    assert e == pytest.approx(t * PROFILES["phone"].power_w)


def test_prefill_flops_near_two_per_parameter(smol):
    cost = CostModel(smol[0])
    flops = sum(s.flops for s in cost.stages(256))
    params = sum(cost.layer_params) + cost.vocab * cost.hidden
    assert 2 * params * 256 < flops < 2.2 * params * 256  # attention adds a little


def test_decode_step_is_memory_bound_on_the_phone(smol):
    cost = CostModel(smol[0])
    layer = cost.stages(1, context=512)[5]
    dev = PROFILES["phone"]
    assert layer.bytes / dev.byte_rate > layer.flops / dev.flop_rate


def test_measured_profile_is_plausible(smol):
    prof = measure_profile(smol[0], tokens=32, repeats=1)
    assert 1e8 < prof.flop_rate < 1e13 and prof.byte_rate > 1e8


def test_bad_profile_and_k_raise(smol):
    with pytest.raises(ValueError, match=r"flop_rate: 0 must be > 0 \(device 'x'\)"):
        DeviceProfile("x", 0, 1, 1)
    with pytest.raises(ValueError, match="k: 31 is not in 0..30"):
        CostModel(smol[0]).ue_cost(31, 8)


def test_true_endpoints_move_the_embeddings_and_the_head(smol):
    cost = CostModel(smol[0])
    whole = cost._time(cost.stages(64), cost.ue_device)
    assert cost.ue_cost(30, 64, head=True)[0] == pytest.approx(whole)  # every stage on the UE
    assert cost.ue_cost(30, 64, head=True)[0] > cost.ue_cost(30, 64)[0]
    edge_all = cost._time(cost.stages(64), cost.edge_device)
    assert cost.edge_cost(0, 64, embed=True)[0] == pytest.approx(edge_all)  # ids in: every stage on the edge
    with pytest.raises(ValueError, match="head: the UE runs the head only at k = 30, not k = 29"):
        cost.ue_cost(29, 64, head=True)
    with pytest.raises(ValueError, match="embed: the edge embeds the tokens only at k = 0, not k = 1"):
        cost.edge_cost(1, 64, embed=True)


def test_a_batch_reads_each_layers_weights_once(smol):
    cost = CostModel(smol[0])
    dev = PROFILES["edge-gpu"]
    for k, tokens, context, embed in ((0, 64, 0, True), (12, 64, 0, False), (30, 1, 64, False)):
        assert cost.edge_batch_seconds([(k, tokens, context, embed)]) == pytest.approx(
            cost.edge_cost(k, tokens, context, embed)[0], rel=1e-12)
    one = cost.edge_batch_seconds([(20, 1, 64, False)])  # a decode step: memory-bound on the edge
    eight = cost.edge_batch_seconds([(20, 1, 64, False)] * 8)
    assert one < eight < 2 * one
    # by hand for one layer: FLOPs add up, weights are read once, the rest adds up
    s = cost.stages(1, 64)[30]  # layer 29
    by_hand = max(8 * s.flops / dev.flop_rate, (s.shared_bytes + 8 * (s.bytes - s.shared_bytes)) / dev.byte_rate)
    head = cost.stages(1, 64)[31]
    by_hand += max(8 * head.flops / dev.flop_rate, (head.shared_bytes + 8 * (head.bytes - head.shared_bytes)) / dev.byte_rate)
    assert cost.edge_batch_seconds([(29, 1, 64, False)] * 8) == pytest.approx(by_hand, rel=1e-12)
    # passes split at different k share only the layers they both run
    mixed = cost.edge_batch_seconds([(10, 64, 0, False), (20, 64, 0, False)])
    assert cost.edge_cost(10, 64)[0] < mixed < cost.edge_cost(10, 64)[0] + cost.edge_cost(20, 64)[0]
