"""The ``probes`` section of a cell scenario: periodic transfers from Python through the bridge,
so that the packet trace shows what activations would meet on the channel::

    probes:
      - {direction: ul, ue: all, bytes: 20000, period_ms: 200, start_s: 0.5, stop_s: 8}

A probe sends at start_s, start_s + period_ms, ... while the time is below stop_s (default: the
end of the run); stopping early lets late packets arrive before the run ends. ``times_s``
instead lists the send times (rounded to the millisecond), e.g. a Poisson arrival process.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from cosim.config.checks import ConfigError

_PROBE_KEYS = {"direction", "ue", "bytes", "period_ms", "start_s", "stop_s", "times_s"}


@dataclass(frozen=True)
class Probe:
    direction: str
    ues: tuple[int, ...]
    bytes: int
    period_ms: float
    start_s: float
    stop_s: float = float("inf")
    times_ms: tuple[int, ...] = ()  # explicit send times (then period, start and stop are unused)

    def sends_at(self, t_ms: int) -> int:
        """How many transfers per UE start at millisecond t_ms."""
        if self.times_ms:
            return bisect.bisect_right(self.times_ms, t_ms) - bisect.bisect_left(self.times_ms, t_ms)
        k = (t_ms - self.start_s * 1000) / self.period_ms
        return int(k >= 0 and t_ms < self.stop_s * 1000 and abs(k - round(k)) < 1e-9)

    def send_times_ms(self, duration_ms: int) -> list[int]:
        if self.times_ms:
            return [t for t in self.times_ms if t < duration_ms]
        out, t = [], self.start_s * 1000
        while t < min(duration_ms, self.stop_s * 1000):
            if abs(t - round(t)) < 1e-9:
                out.append(int(round(t)))
            t += self.period_ms
        return out


def parse_probes(raw: Any, ue_count: int) -> list[Probe]:
    """Validates the ``probes`` section; errors name the key path and the allowed values."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(f"probes: expected a list, got {type(raw).__name__}")
    probes = []
    for i, p in enumerate(raw):
        path = f"probes[{i}]"
        if not isinstance(p, dict):
            raise ConfigError(f"{path}: expected a mapping, got {type(p).__name__}")
        unknown = set(p) - _PROBE_KEYS
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_PROBE_KEYS))}")
        direction = p.get("direction", "ul")
        if direction not in ("ul", "dl"):
            raise ConfigError(f"{path}.direction: {direction!r} is not one of ul, dl")
        ue = p.get("ue", "all")
        if ue == "all":
            ues = tuple(range(ue_count))
        elif isinstance(ue, int) and not isinstance(ue, bool) and 0 <= ue < ue_count:
            ues = (ue,)
        else:
            raise ConfigError(f"{path}.ue: {ue!r} is not 'all' or a UE index 0..{ue_count - 1}")
        nbytes, period, start = p.get("bytes", 10_000), p.get("period_ms", 100), p.get("start_s", 0.5)
        if not isinstance(nbytes, int) or isinstance(nbytes, bool) or not 1 <= nbytes <= 100_000_000:
            raise ConfigError(f"{path}.bytes: {nbytes!r} is not an integer in 1..100000000")
        if not isinstance(period, (int, float)) or isinstance(period, bool) or period < 1:
            raise ConfigError(f"{path}.period_ms: {period!r} is not a number >= 1")
        if not isinstance(start, (int, float)) or isinstance(start, bool) or start < 0:
            raise ConfigError(f"{path}.start_s: {start!r} is not a number >= 0")
        stop = p.get("stop_s", float("inf"))
        if not isinstance(stop, (int, float)) or isinstance(stop, bool) or stop <= start:
            raise ConfigError(f"{path}.stop_s: {stop!r} is not a number > start_s ({start})")
        probes.append(Probe(direction, ues, nbytes, float(period), float(start), float(stop), _times_ms(p, path)))
    return probes


def _times_ms(p: dict, path: str) -> tuple[int, ...]:
    times = p.get("times_s")
    if times is None:
        return ()
    if {"period_ms", "start_s", "stop_s"} & set(p):
        raise ConfigError(f"{path}.times_s: give either times_s or period_ms/start_s/stop_s, not both")
    ok = isinstance(times, list) and times and all(
        isinstance(t, (int, float)) and not isinstance(t, bool) and t >= 0 for t in times)
    if not ok:
        raise ConfigError(f"{path}.times_s: {times!r} is not a non-empty list of send times >= 0 (s)")
    return tuple(sorted(int(round(t * 1000)) for t in times))
