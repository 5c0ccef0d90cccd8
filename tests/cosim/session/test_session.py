"""Split inference over the air: SmolLM2 split between UEs and the edge, activations through
the real ns-3 LTE cell, simpy for compute and queues."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from cosim.session.runner import REQUEST_FIELDS, run_session_file
from cosim.outputs.traces import read_packets

PARTS = ["ue_wait_s", "ue_compute_s", "uplink_s", "queue_s", "edge_compute_s", "downlink_s"]
TTFT_PARTS = ["ttft_ue_s", "ttft_uplink_s", "ttft_edge_s", "ttft_downlink_s"]


def _config(tmp_path, name="s", **over):
    cfg = {
        "name": name,
        "duration_s": 2.0,
        "seed": 1,
        "radio": {"bandwidth_rbs": 50, "scheduler": "pf", "rlc_mode": "UM"},
        "channel": {"propagation": "log_distance", "log_distance": {"exponent": 3.0}},
        "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
        "ue_groups": [{"count": 1, "placement": {"kind": "list", "positions": [[20, 0]]},
                       "mobility": {"kind": "constant_position"}}],
        "model": {"wire_dtype": "float32"},
        "requests": {"times_s": [0.3, 0.8, 1.3], "prompt_tokens": 32, "windows": 3},
        "split": {"policy": "fixed", "k": 6},
    }
    for key, value in over.items():
        cfg[key] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _run(tmp_path, name="s", **over):
    run = run_session_file(_config(tmp_path, name, **over), out=tmp_path / f"run-{name}", progress=False)
    return run, pd.read_parquet(run / "requests.parquet")


def test_perfect_channel_erases_nothing_and_keeps_clean_quality(tmp_path):
    run, req = _run(tmp_path)
    assert len(req) == 3 and list(req.columns) == list(REQUEST_FIELDS)
    assert (req["packets_lost"] == 0).all() and (req["erased_fraction"] == 0).all()
    np.testing.assert_allclose(req["ppl"], req["ppl_clean"], rtol=1e-5)
    assert (req["ppl_clean"] > 3).all() and (req["ppl_clean"] < 500).all()  # a trained model
    meta = json.loads((run / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["requests"] == 3


def test_conservation_of_packets_bytes_and_time(tmp_path):
    run, req = _run(tmp_path, requests={"times_s": [0.3, 0.35, 0.4, 1.0], "prompt_tokens": 32, "windows": 2},
                    ue_groups=[{"count": 2, "placement": {"kind": "list", "positions": [[30, 0], [250, 0]]}}])
    packets = read_packets(run)
    fates = packets.groupby(["tag", "packet"]).size()
    assert (fates == 1).all()  # every packet delivered or lost exactly once
    per_tag = packets.groupby("tag").agg(bytes=("bytes", "sum"), n=("packet", "size"), lost=("lost", "sum"))
    uplink = packets[packets["direction"] == 0].groupby("tag")["bytes"].sum().sort_index()
    assert sorted(uplink.to_list()) == sorted(req["payload_bytes"].to_list())  # bytes sent = payload
    assert (per_tag["n"] == packets.groupby("tag")["n_packets"].first()).all()
    np.testing.assert_allclose(req[PARTS].sum(axis=1), req["latency_s"], rtol=0, atol=1e-9)
    assert (req[PARTS] >= 0).all().all()
    # no decoding: the first token is the reply, so its time is the latency, part by part
    np.testing.assert_allclose(req[TTFT_PARTS].sum(axis=1), req["ttft_s"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(req["ttft_s"], req["latency_s"], rtol=0, atol=1e-12)
    assert req["itl_s"].isna().all() and req["met_target"].isna().all()  # no decoding, no target
    # energy: the phone profile's 5 W while computing; the radio's account adds up per UE
    np.testing.assert_allclose(req["ue_compute_j"], 5.0 * req["ue_compute_s"])
    assert (req["ue_radio_j"] > 0).all()
    for ue, acc in json.loads((run / "meta.json").read_text())["ue_radio_j"].items():
        charged = req.loc[req["ue"] == int(ue), "ue_radio_j"].sum()
        assert charged + acc["uncharged"] == pytest.approx(acc["total"], abs=1e-5)
        assert acc["transmitting"] > 0 and acc["connected"] > 0 and acc["promotion"] > 0


def test_two_ues_share_an_edge_of_capacity_one_in_fifo_order(tmp_path):
    slow_edge = tmp_path / "slow-edge.json"  # 200 ms per tail: the second request must queue
    slow_edge.write_text(json.dumps({"name": "slow", "flop_rate": 1.0e11, "byte_rate": 1.5e9, "power_w": 10}))
    _, req = _run(tmp_path, edge_server={"capacity": 1, "device": str(slow_edge)},
                  requests={"times_s": [0.3], "prompt_tokens": 32, "windows": 1},
                  ue_groups=[{"count": 2, "placement": {"kind": "list", "positions": [[20, 0], [25, 0]]}}])
    assert len(req) == 2
    at_edge = req["t_arrival_s"] + req["ue_wait_s"] + req["ue_compute_s"] + req["uplink_s"]
    start = at_edge + req["queue_s"]
    first, second = req.loc[at_edge.idxmin()], req.loc[at_edge.idxmax()]
    assert start[at_edge.idxmin()] < start[at_edge.idxmax()]  # first come, first served
    assert second["queue_s"] > 0.1
    assert abs(start[at_edge.idxmax()] - (start[at_edge.idxmin()] + first["edge_compute_s"])) < 1e-9


def test_same_seed_same_records(tmp_path):
    over = dict(requests={"rate_per_s": 4.0, "prompt_tokens": 32, "windows": 3}, model={"wire_dtype": "int8"},
                ue_groups=[{"count": 2, "placement": {"kind": "disc", "radius_min_m": 50, "radius_max_m": 300}}])
    run_a, a = _run(tmp_path, "a", **over)
    run_b, b = _run(tmp_path, "b", **over)
    assert len(a) >= 4 and a["window"].nunique() > 1
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(read_packets(run_a), read_packets(run_b))


@pytest.mark.slow
def test_driving_to_the_cell_edge_loses_quality_with_um_and_latency_with_am(tmp_path):
    # 50 m -> 380 m: the uplink rate falls about tenfold but never stops (ns-3's uplink schedulers
    # stop granting a UE whose worst RB is at CQI 0, which would leave AM transfers unfinished).
    drive = {"count": 1, "placement": {"kind": "list", "positions": [[50, 0]]},
             "mobility": {"kind": "constant_velocity", "speed_mps": 28, "heading_deg": 0}}
    common = dict(duration_s=12.0, ue_groups=[drive],
                  channel={"propagation": "log_distance", "log_distance": {"exponent": 3.0}},
                  model={"wire_dtype": "float16"})
    requests = {"rate_per_s": 2.0, "prompt_tokens": 64, "windows": 3}
    _, um = _run(tmp_path, "um", transfer={"payload_bytes": 1200, "loss_timeout_ms": 300},
                 requests={**requests, "deadline_ms": 150}, **common)
    early, late = um[um["t_arrival_s"] < 3], um[um["t_arrival_s"] > 8]
    assert early["erased_fraction"].mean() < late["erased_fraction"].mean()
    assert early["nll"].sum() / early["scored_tokens"].sum() < late["nll"].sum() / late["scored_tokens"].sum()

    am_radio = {"bandwidth_rbs": 50, "scheduler": "pf", "rlc_mode": "AM"}
    _, am = _run(tmp_path, "am", radio=am_radio, transfer={"payload_bytes": 1200, "loss_timeout_ms": 5000},
                 requests=requests, **common)
    early, late = am[am["t_arrival_s"] < 3], am[am["t_arrival_s"] > 8]
    assert len(late) > 0 and (am["packets_lost"] == 0).all() and (am["erased_fraction"] == 0).all()
    assert late["uplink_s"].mean() > 2 * early["uplink_s"].mean()


def test_decoding_sends_a_vector_up_and_a_token_down_per_new_token(tmp_path):
    run, req = _run(tmp_path, requests={"times_s": [0.3], "prompt_tokens": 32, "windows": 1, "decode_tokens": 4})
    (r,) = req.itertuples()
    packets = read_packets(run)
    up, down = packets[packets["direction"] == 0], packets[packets["direction"] == 1]
    assert up["tag"].nunique() == 1 + 4 and down["tag"].nunique() == 1 + 4
    assert r.new_tokens == 4 and r.packets == len(up) and r.payload_bytes == up["bytes"].sum()
    assert r.token_match == 1.0  # a perfect channel and float32 on the wire: the unsplit model's tokens
    assert abs(sum(getattr(r, p) for p in PARTS) - r.latency_s) < 1e-9
    assert abs(sum(getattr(r, p) for p in TTFT_PARTS) - r.ttft_s) < 1e-9
    assert 0 < r.ttft_s < r.latency_s and r.itl_s == pytest.approx((r.latency_s - r.ttft_s) / 4)
    down_at = np.sort(down["t_recv_ns"].to_numpy()) / 1e9
    assert r.t_arrival_s + r.ttft_s == pytest.approx(down_at[0], abs=1e-6)  # the first id's arrival
    assert r.itl_s == pytest.approx(np.diff(down_at).mean(), abs=1e-6)


def test_the_main_example_runs(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "examples" / "split_lte.yaml"
    run = run_session_file(example, out=tmp_path / "main", progress=False, overrides={"duration_s": 2.0})
    req = pd.read_parquet(run / "requests.parquet")
    assert len(req) >= 1 and set(req["k"]) <= {4, 8, 16}
    assert json.loads((run / "meta.json").read_text())["status"] == "ok"


@pytest.mark.parametrize("ttft_ms, itl_ms, ttft_s, itl_s, lost, met", [
    (None, None, 0.1, 0.01, False, None),     # no target: NaN
    (200, None, 0.15, 5.0, False, 1.0),       # only the first token counts
    (200, None, 0.25, 0.0, False, 0.0),
    (None, 20, 9.0, 0.019, False, 1.0),
    (None, 20, 0.1, 0.021, False, 0.0),
    (None, 20, 0.1, float("nan"), False, 1.0),  # no decoding: no gap to miss
    (200, 20, 0.1, 0.01, True, 0.0),          # a lost reply token misses
])
def test_met_target(ttft_ms, itl_ms, ttft_s, itl_s, lost, met):
    from types import SimpleNamespace

    from cosim.session.runner import SplitSession

    cfg = SimpleNamespace(requests=SimpleNamespace(ttft_target_ms=ttft_ms, itl_target_ms=itl_ms))
    got = SplitSession._met_target(SimpleNamespace(cfg=cfg), ttft_s, itl_s, lost)
    assert (np.isnan(got) if met is None else got == met)


def test_true_endpoints_send_token_ids_at_0_and_nothing_at_L(tmp_path):
    requests = {"times_s": [0.3, 0.8], "prompt_tokens": 32, "windows": 2, "decode_tokens": 2}
    run, ids = _run(tmp_path, "ids", requests=requests, split={"policy": "fixed", "k": 0, "true_endpoints": True})
    up = read_packets(run).query("direction == 0")
    # a prompt of 32 ids + BOS in one packet (12-byte header, 4 bytes an id), then one id per new token
    assert (ids["payload_bytes"] == (12 + 4 * 33) + 2 * (12 + 4)).all() and up["bytes"].sum() == ids["payload_bytes"].sum()
    assert (ids["packets"] == 3).all() and (ids["ue_compute_s"] == 0).all() and (ids["edge_compute_s"] > 0).all()
    np.testing.assert_allclose(ids["ppl"], ids["ppl_clean"], rtol=1e-5)
    assert (ids["token_match"] == 1.0).all()

    run, local = _run(tmp_path, "local", requests=requests, split={"policy": "fixed", "k": 30, "true_endpoints": True})
    assert len(read_packets(run)) == 0  # nothing crossed the air
    assert (local[["payload_bytes", "packets"]] == 0).all().all()
    assert (local[["uplink_s", "queue_s", "edge_compute_s", "downlink_s"]] == 0).all().all()
    np.testing.assert_allclose(local["latency_s"], local["ue_compute_s"])
    assert (local["ttft_s"] < local["latency_s"]).all() and (local["ppl"] == local["ppl_clean"]).all()
    # the head on the UE too: more UE compute than the paper's k = L, which leaves it to the edge
    _, paper = _run(tmp_path, "paper", requests=requests, split={"policy": "fixed", "k": 30})
    assert (local["ttft_ue_s"] > paper["ttft_ue_s"]).all() and (paper["packets"] > 0).all()


def test_lost_token_ids_are_sent_again_then_erased(tmp_path):
    # 80 m out in a fading channel: about a third of the one-packet id transfers are lost
    over = dict(duration_s=4.0, channel={"propagation": "log_distance", "log_distance": {"exponent": 3.5},
                                         "fading": {"model": "eva", "speed_kmh": 30}},
                ue_groups=[{"count": 1, "placement": {"kind": "list", "positions": [[80, 0]]}}])
    requests = {"rate_per_s": 5.0, "prompt_tokens": 32, "windows": 3}
    split = {"policy": "fixed", "k": 0, "true_endpoints": True}
    _, once = _run(tmp_path, "once", requests={**requests, "id_resends": 0}, split=split, **over)
    hit = once["packets_lost"] > 0
    assert hit.any() and (once["resent_packets"] == 0).all()
    assert (once.loc[hit, "erased_fraction"] == 1).all() and (once.loc[~hit, "erased_fraction"] == 0).all()
    assert (once.loc[hit, "nll"] > once.loc[hit, "nll_clean"]).all()
    _, again = _run(tmp_path, "again", requests={**requests, "id_resends": 2}, split=split, **over)
    assert again["resent_packets"].sum() > 0 and again["packets_lost"].sum() < once["packets_lost"].sum()
    assert (again["resent_packets"] <= 2 * again["packets"]).all()
    again_lost = again["packets_lost"] > 0
    assert (again.loc[again_lost, "resent_packets"] == 2 * again.loc[again_lost, "packets"]).all()


def test_what_the_ue_knows_at_each_decision(tmp_path):
    """ue_queue: the UE's requests waiting behind the deciding one; edge_load: the edge's requests
    in service and waiting at that moment, per unit of capacity."""
    slow_edge = tmp_path / "slow-edge.json"  # 200 ms per tail: the edge stays busy while others decide
    slow_edge.write_text(json.dumps({"name": "slow", "flop_rate": 1.0e11, "byte_rate": 1.5e9, "power_w": 10}))
    _, req = _run(tmp_path, duration_s=3.0, edge_server={"capacity": 1, "device": str(slow_edge)},
                  requests={"times_s": [0.3, 0.3004, 0.3008, 0.5], "prompt_tokens": 32, "windows": 2},
                  ue_groups=[{"count": 2, "placement": {"kind": "list", "positions": [[20, 0], [25, 0]]}}])
    assert len(req) == 8
    decided = req["t_arrival_s"] + req["ue_wait_s"]
    for _, r in req.groupby("ue"):
        for i in r.index:  # arrived before this decision, decided after it
            waiting = ((r["t_arrival_s"] < decided[i]) & (decided[r.index] > decided[i])).sum()
            assert r.loc[i, "ue_queue"] == waiting
        assert r["ue_queue"].max() >= 1
    at_edge = req["t_arrival_s"] + req["ue_wait_s"] + req["ue_compute_s"] + req["uplink_s"]
    leaves = at_edge + req["queue_s"] + req["edge_compute_s"]
    for i, t in decided.items():
        on_edge = ((at_edge <= t) & (leaves > t)).sum()
        assert req.loc[i, "edge_load"] == on_edge
    assert req["edge_load"].max() >= 2  # the test saw a queue at the edge


def test_a_policy_gets_the_state_only_when_its_choose_takes_it():
    from cosim.session.policies import FixedSplit, takes_state

    class Old:
        def choose(self, ue, recent_slots, current_k, recent_packets=None):
            return 0

    class Any:
        def choose(self, *args, **kwargs):
            return 0

    assert takes_state(FixedSplit(3)) and takes_state(Any()) and not takes_state(Old())


def test_a_batching_edge_serves_the_waiting_passes_together(tmp_path):
    slow_edge = tmp_path / "slow-edge.json"  # about 200 ms per tail, memory-bound: a batch costs little more
    slow_edge.write_text(json.dumps({"name": "slow", "flop_rate": 1.0e11, "byte_rate": 1.5e9, "power_w": 10}))
    over = dict(duration_s=3.0, requests={"times_s": [0.3], "prompt_tokens": 32, "windows": 1},
                ue_groups=[{"count": 3, "placement": {"kind": "list", "positions": [[20, 0], [25, 0], [30, 0]]}}])
    runs = {b: _run(tmp_path, f"batch{b}", edge_server={"capacity": 1, "device": str(slow_edge), "max_batch": b},
                    **over)[1] for b in (1, 4)}
    start = {b: (r["t_arrival_s"] + r[PARTS[:4]].sum(axis=1)).round(9) for b, r in runs.items()}
    one, four = runs[1], runs[4]
    assert start[1].nunique() == 3 and one["edge_compute_s"].round(9).nunique() == 1  # one at a time, each alone
    assert start[4].nunique() == 2  # the first alone; the two that waited for it, together
    later = four[start[4] == start[4].max()]
    assert len(later) == 2 and later["edge_compute_s"].round(9).nunique() == 1
    assert one["edge_compute_s"].iloc[0] < later["edge_compute_s"].iloc[0] < 1.2 * one["edge_compute_s"].iloc[0]
    assert four["latency_s"].max() < one["latency_s"].max() - 0.1


def test_the_battery_left_at_each_decision_follows_the_energy_spent(tmp_path):
    run, req = _run(tmp_path, ue_battery_j=5.0, duration_s=3.0,
                    requests={"times_s": [0.3, 0.8, 1.3, 1.8, 2.3], "prompt_tokens": 32, "windows": 2},
                    ue_groups=[{"count": 2, "placement": {"kind": "list", "positions": [[30, 0], [250, 0]]}}])
    totals = json.loads((run / "meta.json").read_text())["ue_radio_j"]
    for ue, r in req.groupby("ue"):
        r = r.sort_values("t_arrival_s")
        spent = 5.0 * (1 - r["battery_left"].to_numpy())
        assert spent[0] > 0 and (np.diff(spent) > 0).all()  # the radio promoted at the first request, then spends
        # what was spent before the last decision: less than the run's whole account, more than the
        # compute and radio charged to the requests finished by then
        assert spent[-1] < totals[str(ue)]["total"] + r["ue_compute_j"].sum()
        done = r[r["t_arrival_s"] + r["latency_s"] < r["t_arrival_s"].iloc[-1]]
        assert spent[-1] > (done["ue_compute_j"] + done["ue_radio_j"]).sum() * 0.5
    _, plain = _run(tmp_path, "plain")
    assert plain["battery_left"].isna().all()  # no budget, no share
