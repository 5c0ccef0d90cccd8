import numpy as np
import pytest

from mbrl.agent import EVENT_FIELDS
from mbrl.features import N_FEATURES, PACKET_FEATURES, observation, packet_features

MS = 1_000_000


def transfer(tag, t_send_ms, delays_ms):
    """One uplink transfer: a packet per delay (None = lost)."""
    ev = np.zeros(len(delays_ms), EVENT_FIELDS)
    ev["t_send_ns"], ev["tag"], ev["n_packets"] = t_send_ms * MS, tag, len(delays_ms)
    ev["t_recv_ns"] = [-1 if d is None else (t_send_ms + d) * MS for d in delays_ms]
    return ev


def test_only_fates_known_before_the_decision_count():
    ev = np.concatenate([transfer(1, 0, [10, 20, None, 250]),      # loss reported at 300 ms
                         transfer(2, 200, [10, None, 150, None]),  # losses reported at 500 ms
                         transfer(3, 400, [5, 5, 5, 5])])          # the decision's own transfer
    f = dict(zip(PACKET_FEATURES, packet_features(ev, 400 * MS, deadline_ms=200, loss_timeout_ms=300)))
    # Known: transfer 1 (one lost, one late) and the two delivered packets of transfer 2.
    assert f["pkt_lost"] == pytest.approx(1 / 6) and f["pkt_late"] == pytest.approx(1 / 6)
    # Transfer 2 is past its deadline: its two outstanding packets are late whatever comes.
    assert f["last_bad"] == pytest.approx(2 / 4)
    assert f["last_delay"] == pytest.approx(150 / 200)
    assert f["rx_gap"] == pytest.approx((400 - 350) / 1000)


def test_outstanding_packets_before_the_deadline_are_not_judged():
    ev = transfer(1, 0, [10, None, None, None])
    early = packet_features(ev, 100 * MS, deadline_ms=200, loss_timeout_ms=300)
    late = packet_features(ev, 250 * MS, deadline_ms=200, loss_timeout_ms=300)
    assert early[2] == 0 and late[2] == pytest.approx(3 / 4)


def test_no_history_reads_as_no_losses_and_a_long_silence():
    f = packet_features(np.empty(0, EVENT_FIELDS), 10 * MS, deadline_ms=200)
    assert list(f) == [0, 0, 0, 0, 1]
    assert observation({"t_ns": [], "ul_est_sinr_db": [], "ul_est_age_ms": [], "cqi": [], "harq": [],
                        "ul_tbs_bytes": [], "ul_buffer_bytes": []}, np.empty(0, EVENT_FIELDS), 0, 200).shape == (N_FEATURES,)


def test_an_idle_window_reads_as_no_failures_and_no_rate():
    from mbrl.features import FEATURES, slot_features

    n = 200
    slots = _slots(n)
    f = dict(zip(FEATURES, slot_features(slots)))
    assert f["harq_fail_rate"] == 0 and f["ul_rate"] == 0 and f["buffer"] == 0
    slots["harq"][-10:] = [1, 2] * 5  # half of the decided TBs failed
    assert dict(zip(FEATURES, slot_features(slots)))["harq_fail_rate"] == 0.5
    slots["harq"][:50] = 3  # grants with no data: not decoding results, not failures
    assert dict(zip(FEATURES, slot_features(slots)))["harq_fail_rate"] == 0.5


def _slots(n, sinr_db=10.0, age_ms=20.0):
    return {"t_ns": np.arange(n) * MS, "ul_est_sinr_db": np.full(n, sinr_db), "ul_est_age_ms": np.full(n, age_ms),
            "cqi": np.full(n, 9), "harq": np.zeros(n, np.uint8), "ul_tbs_bytes": np.zeros(n),
            "ul_buffer_bytes": np.zeros(n)}


def test_the_sinr_features_read_the_sounding_estimate_and_never_a_stale_one():
    from cosim.outputs.uplink import MAX_EST_AGE_MS
    from mbrl.features import FEATURES, slot_features

    fresh = dict(zip(FEATURES, slot_features(_slots(200, sinr_db=10.0))))
    assert fresh["sinr_mean"] == pytest.approx(10.0 / 20)
    slots = _slots(200, sinr_db=10.0)
    slots["ul_est_age_ms"][:] = MAX_EST_AGE_MS + 1 + np.arange(200)  # the UE stopped sounding long ago
    stale = dict(zip(FEATURES, slot_features(slots)))
    assert stale["sinr_mean"] == stale["sinr_min"] == pytest.approx(-20.0 / 20)  # read as missing
