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
from functools import partial
from typing import Any

from cosim.config.checks import MAX_DURATION_S, Choice, ConfigError, Fn, Int, Num, Section, fmt_bounds, list_of


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


@dataclass
class ProbeKeys:
    """One probe as the YAML gives it; :func:`parse_probes` makes it a :class:`Probe` of the run's UEs."""

    direction: str = "ul"
    ue: int | str = "all"  # a UE index, or all of them
    bytes: int = 10_000
    period_ms: float = 100.0
    start_s: float = 0.5
    stop_s: float = float("inf")  # default: the end of the run
    times_s: tuple[float, ...] = ()  # explicit send times, instead of period_ms, start_s and stop_s


MAX_PROBES = 1000
MAX_SENDS = 1_000_000  # explicit send times of one probe


def _ue(ue_count: int, path: str, v: Any) -> int | str:
    if v == "all" or (isinstance(v, int) and not isinstance(v, bool) and 0 <= v < ue_count):
        return v
    raise ConfigError(f"{path}: {v!r} is not 'all' or a UE index 0..{ue_count - 1}")


def _times(path: str, v: Any) -> tuple[float, ...]:
    if v is None:  # null: no explicit times (period_ms, start_s and stop_s apply)
        return ()
    ok = isinstance(v, list) and 0 < len(v) <= MAX_SENDS and all(
        isinstance(t, (int, float)) and not isinstance(t, bool) and 0 <= t <= MAX_DURATION_S for t in v)
    if not ok:
        raise ConfigError(f"{path}: {v!r} is not a non-empty list of send times >= 0 (s)")
    return tuple(v)


def _check_stop(path: str, k: ProbeKeys) -> None:
    if k.stop_s <= k.start_s:
        raise ConfigError(f"{path}.stop_s: {k.stop_s!r} is not a number > start_s ({k.start_s})")


def probe_schema(ue_count: int) -> Section:
    """The keys of one probe of a scenario with ``ue_count`` UEs."""
    return Section(ProbeKeys, {
        "direction": Choice(("ul", "dl")),
        "ue": Fn(partial(_ue, ue_count), "'all' or integer", "all, or a UE index 0 <= x < the scenario's UE count"),
        "bytes": Int(1, 100_000_000),
        "period_ms": Num(1, MAX_DURATION_S * 1000),
        "start_s": Num(0, MAX_DURATION_S),
        "stop_s": Num(0, MAX_DURATION_S),
        "times_s": Fn(_times, "list of numbers", f"1-{MAX_SENDS} send times, each {fmt_bounds(0, MAX_DURATION_S)}",
                      unit="s"),
    }, check=_check_stop)


def parse_probes(raw: Any, ue_count: int) -> list[Probe]:
    """Validates the ``probes`` section; errors name the key path and the allowed values."""
    if raw is None:
        return []
    schema = probe_schema(ue_count)
    return [_probe(f"probes[{i}]", p, schema, ue_count) for i, p in enumerate(list_of("probes", raw, MAX_PROBES))]


def _probe(path: str, raw: Any, schema: Section, ue_count: int) -> Probe:
    k = schema(path, raw)
    if k.times_s and {"period_ms", "start_s", "stop_s"} & set(raw):
        raise ConfigError(f"{path}.times_s: give either times_s or period_ms/start_s/stop_s, not both")
    ues = tuple(range(ue_count)) if k.ue == "all" else (k.ue,)
    times_ms = tuple(sorted(int(round(t * 1000)) for t in k.times_s))
    return Probe(k.direction, ues, k.bytes, float(k.period_ms), float(k.start_s), float(k.stop_s), times_ms)
