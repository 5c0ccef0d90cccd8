"""The reward of one decision: quality, UE share, latency and switching.

    r = a * Q(PPL, PPL_clean) + b * (L - k) / L - latency_weight * latency_s
        - switch_weight * |k - k_prev| / L

Q is the seed paper's relative perplexity gain ``(PPL_clean - PPL) / PPL_clean`` (``quality:
ratio``) or its logarithm ``ln(PPL_clean / PPL)`` (``quality: log``, the default), floored at
``quality_floor``. Both are 0 without damage and agree to first order for small damage; the
paper's form is unbounded below and a few lost packets already multiply SmolLM2's perplexity
by 5 to 1000 (measured), so one damaged state would outweigh hundreds of clean ones. The log
form ranks the split points under heavy damage without exploding.

Defaults: a = 10.5, b = 1 as in the paper, whose k spanned 1..10 so that moving through the
whole range was worth 1; here (L - k) / L also spans [0, 1] over SmolLM2's 0..30, so the
exchange rate is the paper's: a 10% perplexity increase (Q about -0.1) costs as much as
running every layer on the UE. Latency and switching terms are off by default.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUALITY_FORMS = ("log", "ratio")


@dataclass(frozen=True)
class RewardConfig:
    """Reward weights.

    Args:
        a: weight of the quality term (>= 0).
        b: weight of the UE-share term (L - k) / L (>= 0).
        latency_weight: per second of end-to-end latency (UE head + uplink + edge tail), >= 0.
        switch_weight: per full-range move, i.e. |k - k_prev| / L, >= 0.
        quality: ``"log"`` or ``"ratio"`` (see the module doc).
        quality_floor: lower bound of Q (< 0).
    """

    a: float = 10.5
    b: float = 1.0
    latency_weight: float = 0.0
    switch_weight: float = 0.0
    quality: str = "log"
    quality_floor: float = -10.0

    def __post_init__(self):
        for key in ("a", "b", "latency_weight", "switch_weight"):
            if not getattr(self, key) >= 0:
                raise ValueError(f"reward.{key}: {getattr(self, key)!r} must be >= 0")
        if self.quality not in QUALITY_FORMS:
            raise ValueError(f"reward.quality: {self.quality!r} is not one of {', '.join(QUALITY_FORMS)}")
        if not self.quality_floor < 0:
            raise ValueError(f"reward.quality_floor: {self.quality_floor!r} must be < 0")

    def q(self, ppl, clean):
        """Quality term Q (array or float) of perplexity ``ppl`` against ``clean``."""
        ppl, clean = np.asarray(ppl, float), np.asarray(clean, float)
        q = np.log(clean / ppl) if self.quality == "log" else (clean - ppl) / clean
        return np.maximum(q, self.quality_floor)

    def reward(self, q, k, n_layers: int, latency_s=0.0, k_prev=None):
        """Reward from quality term ``q`` at split ``k`` (arrays broadcast)."""
        r = self.a * np.asarray(q) + self.b * (n_layers - np.asarray(k)) / n_layers
        r = r - self.latency_weight * np.asarray(latency_s)
        if k_prev is not None:
            r = r - self.switch_weight * np.abs(np.asarray(k) - k_prev) / n_layers
        return r

