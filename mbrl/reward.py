"""The reward of one decision: quality, UE share, latency, UE energy, missed targets and switching.

    r = a * Q(PPL, PPL_clean) + b * (L - k) / L - latency_weight * latency_s
        - energy_weight * ue_energy_j - miss_weight * missed - switch_weight * |k - k_prev| / L

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

The energy and missed-target terms need what only a live session measures (requests.parquet:
``ue_compute_j + ue_radio_j`` and ``met_target``), so they apply to :meth:`RewardConfig.of_requests`;
the trace tables carry neither, and training on them refuses a nonzero weight (mbrl.config).

Named objectives (:data:`OBJECTIVES`, ``reward: {objective: NAME}`` in a YAML, other keys
override): ``paper`` is the seed paper's form (ratio quality, a = 10.5, b = 1); ``default`` this
module's defaults; ``latency_energy`` prices what a user of the split feels and pays: one second
to the first token, one joule of UE energy and one missed latency target each cost 1, as much as
about a 10 % perplexity increase (a = 10.5, log quality), and UE load as such is free (b = 0; its
cost is in the time and the joules); ``latency`` is the same without the joules. The exchange
rates are a choice, stated so that they can be changed, not a finding.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

QUALITY_FORMS = ("log", "ratio")


@dataclass(frozen=True)
class RewardConfig:
    """Reward weights.

    Args:
        a: weight of the quality term (>= 0).
        b: weight of the UE-share term (L - k) / L (>= 0).
        latency_weight: per second of latency (>= 0): end to end (UE head + uplink + edge tail) on
            the trace tables and in the live environment, the time to the first token in
            :meth:`of_requests`.
        energy_weight: per joule of UE energy, compute and radio (>= 0; live requests only).
        miss_weight: per request that misses its latency targets (>= 0; live requests only).
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
    energy_weight: float = 0.0
    miss_weight: float = 0.0

    def __post_init__(self):
        for key in ("a", "b", "latency_weight", "switch_weight", "energy_weight", "miss_weight"):
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

    def of_requests(self, req, n_layers: int) -> np.ndarray:
        """Reward of each request of one live run's requests table (requests.parquet, any order):
        its measured perplexity, split, time to the first token, UE energy, target and the move
        from the same UE's previous request (so score runs one at a time, not a mix of runs)."""
        if self.miss_weight and req["met_target"].isna().any():
            raise ValueError("reward.miss_weight: the requests have no latency target; set requests.ttft_target_ms "
                             "or requests.itl_target_ms in the scenario, or miss_weight: 0")
        q = self.q(req["ppl"].to_numpy(), req["ppl_clean"].to_numpy())
        energy = (req["ue_compute_j"] + req["ue_radio_j"]).to_numpy()
        missed = 1.0 - req["met_target"].fillna(1.0).to_numpy()
        ue, k = req["ue"].to_numpy(), req["k"].to_numpy()
        order = np.lexsort((req["t_arrival_s"].to_numpy(), ue))
        after = ue[order][1:] == ue[order][:-1]  # the next request of the same UE
        k_prev = k.astype(np.float64)  # a UE's first request: no move
        k_prev[order[1:][after]] = k[order[:-1][after]]
        r = self.reward(q, k, n_layers, req["ttft_s"].to_numpy(), k_prev)
        return r - self.energy_weight * energy - self.miss_weight * missed


# The named objectives (see the module doc); ``reward: {objective: NAME, ...}`` starts from one.
OBJECTIVES = {
    "paper": RewardConfig(a=10.5, b=1.0, quality="ratio"),
    "default": RewardConfig(),
    "latency": RewardConfig(a=10.5, b=0.0, latency_weight=1.0, miss_weight=1.0),
    "latency_energy": RewardConfig(a=10.5, b=0.0, latency_weight=1.0, energy_weight=1.0, miss_weight=1.0),
}


def named(objective: str, **overrides) -> RewardConfig:
    """The named objective ``objective`` with ``overrides`` (any RewardConfig field) applied."""
    if objective not in OBJECTIVES:
        raise ValueError(f"reward.objective: {objective!r} is not one of {', '.join(OBJECTIVES)}")
    return dataclasses.replace(OBJECTIVES[objective], **overrides)


def check_step_reward(reward: RewardConfig) -> None:
    """ValueError if ``reward`` weighs what a reward scored per step does not know: the trace
    tables, the paper's bank and the live environment's step carry no UE energy (the radio's is
    charged once the run is over) and no latency targets."""
    for key in ("energy_weight", "miss_weight"):
        if getattr(reward, key):
            raise ValueError(f"reward.{key}: {getattr(reward, key)!r} must be 0 for a reward scored per step (trace "
                             "tables, the paper's bank, the live environment); it scores whole live sessions "
                             "(RewardConfig.of_requests)")


def resolve_objective(raw: dict) -> dict:
    """A reward mapping from YAML with ``objective: NAME`` expanded into that objective's fields
    (the mapping's other keys override them)."""
    if "objective" not in raw:
        return raw
    rest = {k: v for k, v in raw.items() if k != "objective"}
    return {**dataclasses.asdict(named(str(raw["objective"]))), **rest}
