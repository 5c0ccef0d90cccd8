"""What the agent observes of a UE: features of its recent slot records and packet fates.

One function, :func:`observation`, serves trace replay in training (the probes' records of
``packets.parquet``, cut at the decision time) and ``choose(ue, recent_slots, current_k,
recent_packets)`` inside a live session (cosim.session.policies), so both see the same numbers.

| #  | name            | from    | raw unit             | scaling (value used)             |
|----|-----------------|---------|----------------------|----------------------------------|
| 0  | sinr_mean       | slots   | dB (UL estimate)     | / 20                             |
| 1  | sinr_min        | slots   | dB (UL estimate)     | / 20                             |
| 2  | sinr_trend      | slots   | dB/s (LS fit)        | / 20                             |
| 3  | cqi_mean        | slots   | 0..15                | / 15                             |
| 4  | cqi_min         | slots   | 0..15                | / 15                             |
| 5  | cqi_trend       | slots   | CQI/s                | / 15                             |
| 6  | harq_fail_rate  | slots   | 0..1                 | as is (failed / decoded data TBs)|
| 7  | ul_rate         | slots   | kbit/s (OK TBs)      | log10(1 + x) / 4                 |
| 8  | buffer          | slots   | bytes at end         | log10(1 + x) / 6                 |
| 9  | pkt_lost        | packets | share, last 1 s      | as is                            |
| 10 | pkt_late        | packets | share, last 1 s      | as is                            |
| 11 | last_bad        | packets | share of last xfer   | as is                            |
| 12 | last_delay      | packets | ms                   | / deadline, at most 5            |
| 13 | rx_gap          | packets | s since a delivery   | at most 1                        |

Slot features use the last 200 slots (200 ms); every scaled value is clipped to [-5, 5].
The SINR is the sounding-based uplink estimate (cosim.outputs.uplink.fresh_ul_sinr_db: every slot,
traffic or not, never older than cosim.outputs.uplink.MAX_EST_AGE_MS), not the SINR of the last data
block, which freezes when the scheduler stops granting. Missing SINR and CQI read as the worst
case (-20 dB, CQI 0). Grants the UE had no data for (harq = empty) are not decoding results
and do not count as failures. With no TB decided in the window
the failure rate reads 0 and the rate 0: a UE with nothing to send is idle, not failing (live
requests leave ~30 % of decision windows idle; reading those as "every HARQ failed" made a
trained agent meet states it never saw). A starved UE (data waiting, no grants) shows in the
buffer. Packet features use only fates known before the decision (see
:func:`packet_features`); with no packet history they read 0 except rx_gap = 1.

The packet features carry what slot records cannot: losses are strongly correlated from one
transfer to the next (recorded traces: after a clean transfer about 90% of the next are clean,
after a fully lost one about 90% are fully lost).
"""
from __future__ import annotations

import numpy as np

from cosim.outputs.codes import HARQ_FAIL, HARQ_OK, NO_VALUE
from cosim.outputs.uplink import fresh_ul_sinr_db

SLOT_FEATURES = ("sinr_mean", "sinr_min", "sinr_trend", "cqi_mean", "cqi_min", "cqi_trend",
                 "harq_fail_rate", "ul_rate", "buffer")
N_SLOT_FEATURES = len(SLOT_FEATURES)
WINDOW_SLOTS = 200  # 200 ms of 1 ms slots


def _trend(t_s: np.ndarray, v: np.ndarray) -> float:
    """Least-squares slope of v over t (per second); 0 with fewer than 2 distinct times."""
    if len(v) < 2 or np.ptp(t_s) <= 0:
        return 0.0
    tc = t_s - t_s.mean()
    return float((tc * (v - v.mean())).sum() / (tc * tc).sum())


def slot_features(recent_slots: np.ndarray, window: int = WINDOW_SLOTS) -> np.ndarray:
    """Scaled slot features (float32, (N_SLOT_FEATURES,)) of the last ``window`` slot records of one UE.

    Args:
        recent_slots: structured array with SlotRecord fields (numpy or a dict of columns),
            oldest first; may be empty.
        window: slots used (1 ms each); default 200.
    """
    n = len(recent_slots["t_ns"])
    lo = max(0, n - window)
    t = np.asarray(recent_slots["t_ns"][lo:], dtype=np.float64) / 1e9
    sinr = fresh_ul_sinr_db({c: recent_slots[c][lo:] for c in ("ul_est_sinr_db", "ul_est_age_ms")})
    cqi = np.asarray(recent_slots["cqi"][lo:], dtype=np.float64)
    harq = np.asarray(recent_slots["harq"][lo:])
    tbs = np.asarray(recent_slots["ul_tbs_bytes"][lo:], dtype=np.float64)
    buf = np.asarray(recent_slots["ul_buffer_bytes"][lo:], dtype=np.float64)

    ok_s = np.isfinite(sinr)
    ok_c = cqi != NO_VALUE
    if ok_s.any():
        s_mean, s_min, s_tr = sinr[ok_s].mean(), sinr[ok_s].min(), _trend(t[ok_s], sinr[ok_s])
    else:
        s_mean = s_min = -20.0
        s_tr = 0.0
    if ok_c.any():
        c_mean, c_min, c_tr = cqi[ok_c].mean(), cqi[ok_c].min(), _trend(t[ok_c], cqi[ok_c])
    else:
        c_mean = c_min = c_tr = 0.0
    decided = (harq == HARQ_OK) | (harq == HARQ_FAIL)
    # No decided HARQ process: nothing failed. An idle UE and a starved one (data waiting, no
    # grants) both land here; the buffer tells them apart.
    fail = float((harq == HARQ_FAIL).sum() / decided.sum()) if decided.any() else 0.0
    span_s = max(len(t), 1) / 1000.0
    rate_kbps = float(tbs[harq == HARQ_OK].sum() * 8 / 1000 / span_s)
    buffer = float(buf[-1]) if len(buf) else 0.0
    raw = np.array([s_mean / 20, s_min / 20, s_tr / 20, c_mean / 15, c_min / 15, c_tr / 15, fail,
                    np.log10(1 + rate_kbps) / 4, np.log10(1 + buffer) / 6])
    return np.clip(raw, -5, 5).astype(np.float32)


# Packet fates (EVENT_DTYPE, uplink) -> loss features: the "packet loss rate".
PACKET_FEATURES = ("pkt_lost", "pkt_late", "last_bad", "last_delay", "rx_gap")
PACKET_WINDOW_MS = 1000.0


def _visible(events, t_now_ns: int, loss_timeout_ms: float | None) -> dict:
    """Uplink packets whose fate is known before t_now: delivered ones at t_recv, lost ones at
    t_send + loss timeout (when ns-3 reports them); None = every lost record is already known,
    as in a live session's history."""
    cols = {c: np.asarray(events[c]) for c in ("t_send_ns", "t_recv_ns", "tag", "n_packets", "direction")}
    recv, send = cols["t_recv_ns"].astype(np.int64), cols["t_send_ns"].astype(np.int64)
    lost = recv < 0
    known = np.where(lost, True if loss_timeout_ms is None else send + int(loss_timeout_ms * 1e6) < t_now_ns,
                     recv < t_now_ns)
    keep = known & (cols["direction"] == 0) & (send >= t_now_ns - int(PACKET_WINDOW_MS * 1e6))
    return {c: v[keep] for c, v in cols.items()}


def packet_features(events, t_now_ns: int, deadline_ms: float, loss_timeout_ms: float | None = None) -> np.ndarray:
    """Scaled loss features (float32, (5,)) of a UE's uplink packets sent in the last second.

    pkt_lost / pkt_late: shares of the known packets lost / delivered after the deadline;
    last_bad: share of the latest visible transfer's packets lost or late, where packets still
    outstanding past its deadline count as late (they are); last_delay: its slowest delivered
    packet's delay / deadline (0..5); rx_gap: time since the last delivery / 1 s (1 when none).
    A transfer whose every packet is still outstanding is invisible here, as in a session.

    Args:
        events: EVENT_DTYPE records (numpy or a dict of columns) of one UE, any order.
        t_now_ns: decision time.
        deadline_ms: a packet later than this after its send counts as lost.
        loss_timeout_ms: when ns-3 reports a loss after the send (traces); None for a session.
    """
    v = _visible(events, int(t_now_ns), loss_timeout_ms)
    if not len(v["tag"]):
        return np.array([0, 0, 0, 0, 1], np.float32)
    delay_ms = (v["t_recv_ns"] - v["t_send_ns"]) / 1e6
    lost = v["t_recv_ns"] < 0
    late = ~lost & (delay_ms > deadline_ms)
    last = v["tag"] == v["tag"][np.argmax(v["t_send_ns"])]
    n_last = int(v["n_packets"][last][0])
    on_time = int((last & ~lost & ~late).sum())
    age_ms = (t_now_ns - int(v["t_send_ns"][last][0])) / 1e6
    # Before its deadline an outstanding packet may still make it: count only what is known.
    bad = n_last - on_time if age_ms >= deadline_ms else int((last & (lost | late)).sum())
    last_delay = float(delay_ms[last & ~lost].max() / deadline_ms) if (last & ~lost).any() else 5.0
    rx = v["t_recv_ns"][~lost]
    gap = (t_now_ns - int(rx.max())) / 1e9 if len(rx) else 1.0
    raw = [lost.mean(), late.mean(), bad / max(n_last, 1), min(last_delay, 5.0), min(gap, 1.0)]
    return np.asarray(raw, np.float32)


FEATURES = SLOT_FEATURES + PACKET_FEATURES
N_FEATURES = len(FEATURES)


def observation(recent_slots, recent_packets, t_now_ns: int, deadline_ms: float,
                loss_timeout_ms: float | None = None) -> np.ndarray:
    """All features (float32, (N_FEATURES,)): slot_features then packet_features."""
    return np.concatenate([slot_features(recent_slots),
                           packet_features(recent_packets, t_now_ns, deadline_ms, loss_timeout_ms)])
