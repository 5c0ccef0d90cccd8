"""Confidence intervals of perplexity figures over random mask seeds.

At fragile split points one element decides a window (SmolLM2, k = 15: the BOS token's channel
507 turns a window's NLL from 3.7 into 12.8 nats per token when erased), so a perplexity under
one mask seed can be off by 1.6x either way. A figure is therefore the mean over seeds of the
log perplexity (then exp), with a Student-t 95 % interval over those seeds: it says how well the
expectation over masks *on these windows* is known (the text's own variability is a separate
question: more windows).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

# two-sided 95 % Student-t critical values for 1..30 degrees of freedom (1.96 beyond)
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042)


def t975(df: int) -> float:
    """Two-sided 95 % Student-t critical value for ``df`` >= 1 degrees of freedom."""
    return T975[df - 1] if df <= len(T975) else 1.96


@dataclass(frozen=True)
class Interval:
    value: float
    lo: float
    hi: float
    n: int

    @property
    def rel_half(self) -> float:
        """Relative half-width: the larger of hi / value - 1 and 1 - lo / value."""
        return max(self.hi / self.value - 1, 1 - self.lo / self.value) if self.value > 0 else math.inf


def ppl_interval(log_ppls: Sequence[float], deterministic: bool = False) -> Interval:
    """exp(mean of ``log_ppls``) with its 95 % interval; a single value has an unknown
    (infinite) interval unless the figure is ``deterministic`` (no random damage)."""
    n = len(log_ppls)
    mean = sum(log_ppls) / n
    if deterministic or n < 2:
        half = 0.0 if deterministic else math.inf
    else:
        sd = math.sqrt(sum((v - mean) ** 2 for v in log_ppls) / (n - 1))
        half = t975(n - 1) * sd / math.sqrt(n)
    return Interval(math.exp(mean), math.exp(mean - half), math.exp(mean + half) if math.isfinite(half) else math.inf, n)
