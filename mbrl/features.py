"""Channel features of a UE from its recent slot records (what the agent observes).

Computed from slot records only (records.hpp SlotRecord), so the same function serves trace
replay in training and ``choose(ue, recent_slots, current_k)`` inside a live session.

| # | name            | raw unit       | scaling (value used)          |
|---|-----------------|----------------|-------------------------------|
| 0 | sinr_mean       | dB             | / 20                          |
| 1 | sinr_min        | dB             | / 20                          |
| 2 | sinr_trend      | dB/s (LS fit)  | / 20                          |
| 3 | cqi_mean        | 0..15          | / 15                          |
| 4 | cqi_min         | 0..15          | / 15                          |
| 5 | cqi_trend       | CQI/s          | / 15                          |
| 6 | harq_fail_rate  | 0..1           | as is (failed / decoded TBs)  |
| 7 | ul_rate         | kbit/s (OK TBs)| log10(1 + x) / 4              |
| 8 | buffer          | bytes at end   | log10(1 + x) / 6              |

Every scaled value is clipped to [-5, 5]. Missing values (no SINR, no CQI, no TB in the
window) read as the worst case (SINR -20 dB, CQI 0, failure rate 1), because a silent UE in
these traces is one the scheduler could not serve.

The packet loss rate of recent transfers is not here: a policy in a session sees slot records
only (cosim.policies). HARQ failures and the buffer carry most of that information.
"""
from __future__ import annotations

import numpy as np

FEATURES = ("sinr_mean", "sinr_min", "sinr_trend", "cqi_mean", "cqi_min", "cqi_trend",
            "harq_fail_rate", "ul_rate", "buffer")
N_FEATURES = len(FEATURES)
WINDOW_SLOTS = 200  # 200 ms of 1 ms slots
_NO_VALUE = 255     # records.hpp kNoValue (CQI, MCS)
_HARQ_OK, _HARQ_FAIL = 1, 2


def _trend(t_s: np.ndarray, v: np.ndarray) -> float:
    """Least-squares slope of v over t (per second); 0 with fewer than 2 distinct times."""
    if len(v) < 2 or np.ptp(t_s) <= 0:
        return 0.0
    tc = t_s - t_s.mean()
    return float((tc * (v - v.mean())).sum() / (tc * tc).sum())


def slot_features(recent_slots: np.ndarray, window: int = WINDOW_SLOTS) -> np.ndarray:
    """Scaled features (float32, (N_FEATURES,)) of the last ``window`` slot records of one UE.

    Args:
        recent_slots: structured array with SlotRecord fields (numpy or a dict of columns),
            oldest first; may be empty.
        window: slots used (1 ms each); default 200.
    """
    n = len(recent_slots["t_ns"])
    lo = max(0, n - window)
    t = np.asarray(recent_slots["t_ns"][lo:], dtype=np.float64) / 1e9
    sinr = np.asarray(recent_slots["ul_sinr_db"][lo:], dtype=np.float64)
    cqi = np.asarray(recent_slots["cqi"][lo:], dtype=np.float64)
    harq = np.asarray(recent_slots["harq"][lo:])
    tbs = np.asarray(recent_slots["ul_tbs_bytes"][lo:], dtype=np.float64)
    buf = np.asarray(recent_slots["ul_buffer_bytes"][lo:], dtype=np.float64)

    ok_s = np.isfinite(sinr)
    ok_c = cqi != _NO_VALUE
    if ok_s.any():
        s_mean, s_min, s_tr = sinr[ok_s].mean(), sinr[ok_s].min(), _trend(t[ok_s], sinr[ok_s])
    else:
        s_mean = s_min = -20.0
        s_tr = 0.0
    if ok_c.any():
        c_mean, c_min, c_tr = cqi[ok_c].mean(), cqi[ok_c].min(), _trend(t[ok_c], cqi[ok_c])
    else:
        c_mean = c_min = c_tr = 0.0
    decided = (harq == _HARQ_OK) | (harq == _HARQ_FAIL)
    fail = float((harq == _HARQ_FAIL).sum() / decided.sum()) if decided.any() else 1.0
    span_s = max(len(t), 1) / 1000.0
    rate_kbps = float(tbs[harq == _HARQ_OK].sum() * 8 / 1000 / span_s)
    buffer = float(buf[-1]) if len(buf) else 0.0
    raw = np.array([s_mean / 20, s_min / 20, s_tr / 20, c_mean / 15, c_min / 15, c_tr / 15, fail,
                    np.log10(1 + rate_kbps) / 4, np.log10(1 + buffer) / 6])
    return np.clip(raw, -5, 5).astype(np.float32)
