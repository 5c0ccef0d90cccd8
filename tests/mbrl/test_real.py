"""The real pieces end to end on tiny inputs: a 2 s ns-3 trace, the split LLM, the saved agent."""
import numpy as np
import pytest

from mbrl.evaluator import EvalConfig, RealEvaluator, activation_layout
from mbrl.features import N_FEATURES
from mbrl.traces import TraceConfig, load_decisions, record_traces

from testkit.synthetic import synthetic

EVAL = EvalConfig(prompt_tokens=16, n_windows=2)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    cfg = TraceConfig(variants=("ld32_walk_vehicle",), train_seeds=(1,), test_seeds=(2,), duration_s=2.0,
                      arrivals="periodic", cache_dir=str(tmp_path_factory.mktemp("cache")))
    probe_bytes, n_packets = activation_layout(EVAL)
    runs = record_traces(cfg, probe_bytes, cfg.train_seeds)
    again = record_traces(cfg, probe_bytes, cfg.train_seeds)  # cached: same folder, no new run
    assert runs == again
    return cfg, runs, n_packets


def test_decisions_from_a_recorded_trace(tiny_runs):
    cfg, runs, n_packets = tiny_runs
    dec = load_decisions(runs, n_packets, cfg.deadline_ms, EVAL.n_windows)
    # 3 UEs, a probe every 200 ms from 0.5 s (staggered) until 1.5 s
    assert 12 <= len(dec) <= 18
    assert dec.feats.shape == (len(dec), N_FEATURES) and np.isfinite(dec.feats).all()
    assert all(max(lost, default=0) < n_packets for lost in dec.lost)
    assert len(dec.episodes()) == 3
    with pytest.raises(ValueError, match="probes of 17 packets, the evaluator's activation has 5"):
        load_decisions(runs, 5, cfg.deadline_ms, 2)


def test_poisson_probes_are_seeded_and_leave_idle_stretches():
    from mbrl.traces import DEFAULT_VARIANTS, scenario_for

    cfg = TraceConfig(duration_s=60.0)
    body = DEFAULT_VARIANTS["ld30_walk_vehicle"]
    sc = scenario_for("ld30_walk_vehicle", body, 1, cfg, 20000)
    assert sc == scenario_for("ld30_walk_vehicle", body, 1, cfg, 20000)
    assert sc["probes"] != scenario_for("ld30_walk_vehicle", body, 2, cfg, 20000)["probes"]
    for u, probe in enumerate(sc["probes"]):
        t = np.array(probe["times_s"])
        gaps = np.diff(t)
        assert probe["ue"] == u and t[0] >= 0.5 and t[-1] < 59.5
        # exponential gaps of mean 200 ms: about e^-1 of them longer than 200 ms
        assert 0.17 < gaps.mean() < 0.23 and 0.3 < (gaps > 0.2).mean() < 0.45
    with pytest.raises(ValueError, match="traces.arrivals: 'burst' is not one of poisson, periodic"):
        TraceConfig(arrivals="burst")


def test_real_evaluator_counts_and_memoises():
    ev = RealEvaluator(EVAL)
    assert ev.n_packets == activation_layout(EVAL)[1]
    clean = ev.ppl(0, 10, set())
    assert clean == pytest.approx(ev.clean_ppl(0), rel=0.02)  # float16 on the wire only
    damaged = ev.ppl(0, 10, set(range(0, ev.n_packets, 2)))
    assert damaged > 1.5 * clean
    ev.ppl(0, 10, set())
    assert ev.counters()["calls"] == 3 and ev.tail_passes == 2 and ev.memo_hits == 1


def test_saved_agent_chooses_from_slot_records(tmp_path):
    from stable_baselines3 import PPO

    from cosim.bridge.launcher import SLOT_DTYPE
    from mbrl.agent import load_policy, save_agent
    from mbrl.env import MatrixScorer, SplitEnv

    dec, _ = synthetic(n_episodes=2)
    env = SplitEnv(dec, MatrixScorer(np.zeros((len(dec), 31))), 30)
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=32, seed=0, device="cpu")
    save_agent(model, tmp_path / "agent.zip", n_layers=30, action_mode="moves", start_k=15, deadline_ms=200)
    policy = load_policy(tmp_path, 30)
    slots = np.zeros(200, SLOT_DTYPE)
    slots["t_ns"] = np.arange(200) * 1_000_000
    slots["ul_sinr_db"], slots["cqi"], slots["harq"] = 5.0, 7, 1
    k = policy.choose(0, slots, None)
    assert isinstance(k, int) and 11 <= k <= 19  # a move of at most 4 from start_k
    assert 0 <= policy.choose(0, np.zeros(0, SLOT_DTYPE), 0) <= 4
    with pytest.raises(ValueError, match="trained for 30 layers, the session's model has 18"):
        load_policy(tmp_path / "agent.zip", 18)


def test_session_view_gives_the_training_features(tiny_runs):
    """A session's policy sees only decided packet fates, in the order ns-3 decided them; the
    agent must compute from that exactly the features training cut from the recorded trace."""
    import pyarrow.parquet as pq

    from cosim.bridge.launcher import EVENT_DTYPE, SLOT_DTYPE
    from mbrl.agent import AgentPolicy

    cfg, runs, n_packets = tiny_runs
    dec = load_decisions(runs, n_packets, cfg.deadline_ms, EVAL.n_windows)
    slots = pq.read_table(runs[0] / "slots.parquet").to_pandas()
    pk = pq.read_table(runs[0] / "packets.parquet").to_pandas()
    fate_ns = np.where(pk["t_recv_ns"] >= 0, pk["t_recv_ns"], pk["t_send_ns"] + 300_000_000)  # loss_timeout_ms
    agent = AgentPolicy(None, 30, "moves", 15, cfg.deadline_ms)
    for ue, ep in enumerate(dec.episodes()):
        for s in ep:
            t_now = int(round(dec.t_s[s] * 1e9))
            seen = pk[(pk["ue"] == ue) & (fate_ns < t_now)].assign(fate=fate_ns[(pk["ue"] == ue) & (fate_ns < t_now)])
            packets = np.zeros(len(seen), EVENT_DTYPE)
            for c in EVENT_DTYPE.names:
                packets[c] = seen.sort_values("fate")[c].to_numpy()
            ue_slots = slots[(slots["ue"] == ue) & (slots["t_ns"] < t_now)].sort_values("t_ns").tail(200)
            recent = np.zeros(len(ue_slots), SLOT_DTYPE)
            for c in SLOT_DTYPE.names:
                recent[c] = ue_slots[c].to_numpy()
            assert np.allclose(agent.features(recent, packets), dec.feats[s], atol=1e-6), (ue, s)
