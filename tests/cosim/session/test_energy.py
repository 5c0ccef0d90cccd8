"""The UE radio's energy account (cosim.session.energy) on a hand-worked case, and its checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cosim.config.checks import ConfigError
from cosim.session.config import UeRadioSection, parse_session
from cosim.session.energy import ue_radio_energy

# 1 W connected, 2 ms tail, 0.1 W idle, a 2 W x 10 ms promotion, and a transmit chain at 50 %.
MODEL = UeRadioSection(connected_w=1.0, tail_s=0.002, idle_w=0.1, promotion_w=2.0, promotion_s=0.01,
                       pa_efficiency=0.5)


def _slots(n=10, sent_at=2, dbm=20.0):
    harq = np.zeros(n, dtype=np.uint8)
    harq[sent_at] = 1
    power = np.full(n, np.nan)
    power[sent_at] = dbm
    return pd.DataFrame({"t_ns": np.arange(n) * 1_000_000, "harq": harq, "ul_symbols": np.full(n, 14),
                         "ul_tx_power_dbm": power})


def test_power_states_and_their_shares_by_hand():
    # Slots of 1 ms. The UE sends in slot 2 (20 dBm = 0.1 W out, 0.2 W drawn) and receives in slot 6.
    # idle 0, 1; promoted and connected 2, 3, 4; idle 5 (3 ms since slot 2 > 2 ms tail);
    # promoted again and connected 6, 7, 8; idle 9.
    acc = ue_radio_energy(_slots(), np.array([0.0065]), start_s=np.array([0.0015, 0.003]),
                          end_s=np.array([0.0035, 0.0065]), model=MODEL)
    assert acc.idle_j == pytest.approx(4 * 0.1e-3)
    assert acc.connected_j == pytest.approx(6 * 1e-3)
    assert acc.transmitting_j == pytest.approx(0.2e-3)
    assert acc.promotion_j == pytest.approx(2 * 0.02)
    # request A [1.5, 3.5) ms: slot 2 alone, half of slot 3; request B [3, 6.5) ms: half of slot 3,
    # slots 4, 5 (idle), 6 (promoted), then 7 and 8: the tail after it, the last to finish.
    a = 1e-3 + 0.2e-3 + 0.02 + 0.5e-3
    b = 0.5e-3 + 1e-3 + 0.1e-3 + (0.02 + 1e-3) + 2e-3
    np.testing.assert_allclose(acc.per_request, [a, b])
    assert acc.uncharged_j == pytest.approx(3 * 0.1e-3)  # slots 0, 1 and 9
    assert acc.per_request.sum() + acc.uncharged_j == pytest.approx(acc.total_j)


def test_transmit_energy_follows_transmit_power_and_uplink_symbols():
    low = ue_radio_energy(_slots(dbm=0.0), np.array([]), np.array([0.0]), np.array([0.01]), MODEL)
    high = ue_radio_energy(_slots(dbm=23.0), np.array([]), np.array([0.0]), np.array([0.01]), MODEL)
    assert high.transmitting_j == pytest.approx(10 ** (-0.7) / 0.5 * 1e-3)  # 23 dBm: 0.1995 W out
    assert low.transmitting_j == pytest.approx(1e-3 / 0.5 * 1e-3)
    half = _slots()
    half.loc[2, "ul_symbols"] = 7
    assert ue_radio_energy(half, np.array([]), np.array([0.0]), np.array([0.01]), MODEL).transmitting_j \
        == pytest.approx(0.1e-3)


def test_no_request_leaves_everything_uncharged():
    acc = ue_radio_energy(_slots(), np.array([]), np.array([]), np.array([]), MODEL)
    assert len(acc.per_request) == 0 and acc.uncharged_j == pytest.approx(acc.total_j)


@pytest.mark.parametrize("key, value, said", [
    ("pa_efficiency", 0, "ue_radio.pa_efficiency: 0"),
    ("tail_s", -1, "ue_radio.tail_s: -1"),
    ("idle_w", "low", "ue_radio.idle_w: 'low'"),
])
def test_bad_radio_settings_name_the_key(key, value, said):
    with pytest.raises(ConfigError, match=said):
        parse_session({"ue_radio": {key: value}})


def test_latency_targets_are_checked():
    with pytest.raises(ConfigError, match="requests.ttft_target_ms: 0"):
        parse_session({"requests": {"ttft_target_ms": 0}})
    assert parse_session({"requests": {"itl_target_ms": 50}}).requests.itl_target_ms == 50


@pytest.mark.parametrize("piece", [1, 3, 4, 20])
def test_a_meter_fed_in_pieces_reads_the_whole_accounts_total(piece):
    from cosim.session.energy import RadioMeter

    n = 20
    slots = _slots(n, sent_at=2).assign(ue=0)
    slots.loc[12, ["harq", "ul_tx_power_dbm"]] = [2, 10.0]  # a failed TB still transmits
    rx_ns = [5_500_000, 16_200_000]  # downlink packets received mid-slot
    events = pd.DataFrame({"ue": [0, 0], "direction": [1, 1], "t_recv_ns": rx_ns})
    whole = ue_radio_energy(slots, np.array(rx_ns) / 1e9, np.empty(0), np.empty(0), MODEL)
    meter = RadioMeter(1, MODEL)
    for lo in range(0, n, piece):
        part = slots.iloc[lo:lo + piece]
        t = events["t_recv_ns"]  # each reception with the slots of its time, as the bridge reports them
        meter.add(part, events[(t >= lo * 1_000_000) & (t < (lo + piece) * 1_000_000)])
    assert whole.promotion_j > 2 * MODEL.promotion_w * MODEL.promotion_s - 1e-12  # idle gaps between activity
    assert meter.joules[0] == pytest.approx(whole.total_j, rel=1e-12)
