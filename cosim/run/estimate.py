"""An up-front estimate of what a run will cost, so that a scenario that cannot finish in
reasonable time or memory is refused (or warned about) before anything starts, naming the field
that drives the cost.

The figures are rough on purpose (within a factor of a few): the rates come from the
measurements in docs/benchmarks.md on a 2-core machine (LTE cell: about 25 us of wall time per UE per 1 ms slot; the
split model: about 500 prompt tokens per second). What matters is telling a 10-minute run from a
10-day one, e.g. 100 MB probes every 1 ms (10^8 packets a second, each held by ns-3 until its
fate is known) or thousands of 4096-token prompts.

Limits: refused above MAX_WALL_S or above half the machine's memory; a warning above WARN_WALL_S.
`layersplit run --force` (``$LAYERSPLIT_FORCE=1``) turns refusals into warnings.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field

from cosim.config.checks import ConfigError
from cosim.radio import registry

WALL_S_PER_UE_SLOT = 25e-6      # a user's own program: LTE's cost per 1 ms slot (cosim.radio.lte)
WALL_S_PER_PACKET = 30e-6       # one UDP packet through PDCP/RLC/MAC/PHY and its fate record
BYTES_PER_PENDING_PACKET = 400  # ns-3 keeps each packet (and its timeout event) until its fate
TOKENS_PER_S = 500.0            # SmolLM2 prompt tokens per wall second on the CPU
DECODE_S_PER_TOKEN = 0.05
MAX_WALL_S = 24 * 3600.0
WARN_WALL_S = 600.0


@dataclass
class Estimate:
    wall_s: float = 0.0
    memory_bytes: float = 0.0
    costs: dict[str, float] = field(default_factory=dict)  # field -> wall seconds it adds
    memory_field: str = ""

    def add(self, key: str, wall_s: float) -> None:
        self.wall_s += wall_s
        self.costs[key] = self.costs.get(key, 0.0) + wall_s

    @property
    def main_field(self) -> str:
        return max(self.costs, key=self.costs.get) if self.costs else "duration_s"


def estimate(sc, probes: list | None = None, session=None) -> Estimate:
    """The cost of a cell scenario (any schema with duration_s, ue_count, transfer), its probes
    (cosim.run.probes.Probe list) and, for split inference, its SessionConfig."""
    est = Estimate()
    ues = sc.ue_count or 1
    radio = registry.of_scenario(sc)
    per_slot, slot_s = (radio.wall_s_per_ue_slot, radio.slot_s(sc)) if radio else (WALL_S_PER_UE_SLOT, 1e-3)
    est.add("duration_s", per_slot * ues * sc.duration_s / slot_s)
    payload = sc.transfer.payload_bytes
    pending_rate = 0.0  # packets per simulated second
    for i, p in enumerate(probes or []):
        sends = len(p.times_ms) if p.times_ms else _periodic_sends(p, sc.duration_s)
        packets = sends * len(p.ues) * math.ceil(p.bytes / payload)
        key = f"probes[{i}].bytes" if p.bytes > 100 * payload else f"probes[{i}].period_ms"
        est.add(key, packets * WALL_S_PER_PACKET)
        pending_rate += packets / sc.duration_s
        if pending_rate * sc.transfer.loss_timeout_ms / 1000 * BYTES_PER_PENDING_PACKET > est.memory_bytes:
            est.memory_bytes = pending_rate * sc.transfer.loss_timeout_ms / 1000 * BYTES_PER_PENDING_PACKET
            est.memory_field = key
    for g_i, g in enumerate(getattr(sc, "ue_groups", ())):
        t = g.traffic
        if t.kind != "none":
            rate = t.rate_bps if t.kind == "cbr" else 1e6 * sc.radio.bandwidth_rbs
            active_s = max(0.0, sc.duration_s - t.start_s)
            packets = rate / 8 / t.packet_bytes * active_s * g.count * (2 if t.direction == "both" else 1)
            est.add(f"ue_groups[{g_i}].traffic.rate_bps", packets * WALL_S_PER_PACKET)
    if session is not None:
        _session_cost(est, sc, session, ues, payload)
    return est


def _periodic_sends(p, duration_s: float) -> int:
    span_ms = min(duration_s, p.stop_s) * 1000 - p.start_s * 1000
    return max(0, math.ceil(span_ms / p.period_ms))


def _session_cost(est: Estimate, sc, cfg, ues: int, payload: int) -> None:
    r = cfg.requests
    n = len([t for t in r.times_s if t < sc.duration_s]) * ues if r.times_s else r.rate_per_s * sc.duration_s * ues
    tokens = r.prompt_tokens
    per_request = tokens / TOKENS_PER_S * (1 + tokens / 2048) + r.decode_tokens * DECODE_S_PER_TOKEN
    key = "requests.prompt_tokens" if tokens >= 1024 or r.decode_tokens < 64 else "requests.decode_tokens"
    est.add(key, n * per_request)
    est.add("requests.windows", min(r.windows, max(n, 1)) * tokens / TOKENS_PER_S * (1 + tokens / 2048))
    activation_bytes = tokens * 576 * 2  # SmolLM2's hidden size, float16 on the wire
    est.add("requests.rate_per_s" if not r.times_s else "requests.times_s",
            n * math.ceil(activation_bytes / payload) * WALL_S_PER_PACKET)


def check(est: Estimate, force: bool | None = None) -> None:
    """Raises ConfigError naming the costliest field when the run cannot finish in reasonable time
    or memory; prints a one-line warning to stderr for a long one."""
    force = os.environ.get("LAYERSPLIT_FORCE") == "1" if force is None else force
    memory = _physical_memory()
    problem = None
    if est.memory_bytes > memory / 2:
        problem = (f"{est.memory_field}: ns-3 would hold about {est.memory_bytes / 2**30:.1f} GiB of packets in "
                   f"flight, over half of this machine's {memory / 2**30:.0f} GiB; send fewer or smaller "
                   f"transfers, or lower transfer.loss_timeout_ms")
    elif est.wall_s > MAX_WALL_S:
        problem = (f"{est.main_field}: this run would take about {_human(est.wall_s)} of wall time (limit "
                   f"{_human(MAX_WALL_S)}); make it smaller")
    if problem and not force:
        raise ConfigError(problem + " (or run with --force)")
    if problem or est.wall_s > WARN_WALL_S:
        print(f"layersplit: warning: {problem or f'this run is estimated to take about {_human(est.wall_s)} (mostly {est.main_field})'}",
              file=sys.stderr)


def _physical_memory() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 8 * 2**30


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def check_session(sc, cfg) -> Estimate:
    """check(estimate(...)) of a split-inference scenario."""
    est = estimate(sc, None, cfg)
    check(est)
    return est
