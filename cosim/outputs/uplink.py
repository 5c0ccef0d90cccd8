"""The uplink channel as the records tell it, for policies, features, summaries and plots.

A slot record carries two uplink SINRs (docs/records.md):

- ``ul_est_sinr_db``: the base station's estimate from the UE's sounding reference signal, which
  the UE sends every SRS period whether or not it has data or grants. Its age is
  ``ul_est_age_ms``. This is *the* uplink channel of a slot.
- ``ul_sinr_db``: the SINR of the UE's last data-carrying transport block. It stops changing
  when the UE stops being granted (e.g. far out of coverage), so it says how the last block
  fared, not what the channel is now.

Every reader goes through :func:`fresh_ul_sinr_db`, so none shows a value older than
:data:`MAX_EST_AGE_MS`.
"""

from __future__ import annotations

import numpy as np

# A sounding older than this is no estimate. The cells here sound every 40 ms (80 ms above 36
# UEs); a UE that lost its connection stops sounding and its estimate ages past this.
MAX_EST_AGE_MS = 250.0


def fresh_ul_sinr_db(slots, max_age_ms: float = MAX_EST_AGE_MS) -> np.ndarray:
    """The uplink SINR estimate of each slot record (dB, float64), NaN where there is none or it
    is older than ``max_age_ms``. ``slots``: SLOT_DTYPE records, a dict of columns or a DataFrame."""
    sinr = np.asarray(slots["ul_est_sinr_db"], dtype=np.float64)
    age = np.asarray(slots["ul_est_age_ms"], dtype=np.float64)
    return np.where(np.isfinite(age) & (age <= max_age_ms), sinr, np.nan)


def mean_db(values: np.ndarray) -> float:
    """Mean of the finite values; NaN if there are none."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")
