"""`layersplit run` for a plain cell scenario: ns-3 streams slots and packet fates into Parquet.

Besides the scenario's own background traffic, an optional ``probes`` section sends periodic
transfers from Python through the bridge, so that the packet trace shows what activations would
meet on this channel::

    probes:
      - {direction: ul, ue: all, bytes: 20000, period_ms: 200, start_s: 0.5, stop_s: 8}

A probe sends at start_s, start_s + period_ms, ... while the time is below stop_s (default: the
end of the run); stopping early lets late packets arrive before the run ends. ``times_s``
instead lists the send times (rounded to the millisecond), e.g. a Poisson arrival process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from cosim.bridge.launcher import CMD_DOWNLINK, CMD_UPLINK, COMMAND_DTYPE, split_events
from cosim.run.estimate import check, estimate
from cosim.run.probes import Probe, parse_probes
from cosim.run.rundir import RunRecord, new_run_dir
from cosim.radio.registry import run_facts
from cosim.run.selfcheck import run_warnings
from cosim.radio.scenario import ProgramScenario, load_any, resolved, start_simulation
from cosim.radio.lte.schema import Scenario
from cosim.outputs.traces import TraceWriter

MS = 1_000_000



def probe_commands(probes: Iterable[Probe], t_ms: int, next_tag: list[int]) -> np.ndarray:
    """The commands due at simulated millisecond t_ms (tags count up from next_tag[0])."""
    rows = []
    for p in probes:
        for _ in range(p.sends_at(t_ms)):
            for ue in p.ues:
                rows.append((CMD_UPLINK if p.direction == "ul" else CMD_DOWNLINK, ue, p.bytes, next_tag[0]))
                next_tag[0] += 1
    cmds = np.zeros(len(rows), COMMAND_DTYPE)
    for i, (kind, ue, nbytes, tag) in enumerate(rows):
        cmds[i] = (kind, ue, nbytes, tag, 0)
    return cmds


def _grant_times(probes: list[Probe], duration_ms: int, step_ms: int) -> list[int]:
    """Grant boundaries: every step_ms, plus every probe time (commands run at grant starts)."""
    times = set(range(step_ms, duration_ms, step_ms))
    for p in probes:
        times.update(p.send_times_ms(duration_ms))
    times.discard(0)
    return sorted(times) + [duration_ms + 1]


def check_cell(sc) -> None:
    """Refuses (ConfigError) a cell scenario and its probes that cannot finish in reasonable time
    or memory (cosim.run.estimate)."""
    check(estimate(sc, parse_probes(sc.extra.get("probes"), sc.ue_count or 64)))


def run_cell(sc: Scenario | ProgramScenario, run_dir: Path, probes: Any = None, step_ms: int = 100,
             progress: bool = True) -> dict:
    """Runs the scenario under the bridge, writing traces into run_dir. Returns counts and the run's
    check of its own data (``warnings``: cosim.run.selfcheck; None for a user's own program).

    ``probes``: the scenario's ``probes`` section, checked against the UEs the program reports."""
    from tqdm import tqdm

    duration_ms = int(round(sc.duration_s * 1000))
    counts = {"slot_records": 0, "packet_events": 0, "handover_events": 0}
    tag = [1]
    with TraceWriter(run_dir) as traces, start_simulation(sc, run_dir) as sim, \
            tqdm(total=duration_ms, unit="sim-ms", disable=not progress, desc=sc.name) as bar:
        probes = parse_probes(probes, sc.ue_count)
        times = _grant_times(probes, duration_ms, step_ms)
        traces.follow(sim)  # records read before a stop or a crash reach the traces too
        sim.grant(times[0] * MS, probe_commands(probes, sim.now_ns // MS, tag))
        for i, t in enumerate(times):
            slots, events = sim.collect()
            # Grant the next step before writing this one: ns-3 simulates while Python writes.
            if not sim.finished and i + 1 < len(times):
                sim.grant(times[i + 1] * MS, probe_commands(probes, sim.now_ns // MS, tag))
            traces.write(slots, events)
            counts["slot_records"] += len(slots)
            packets, handovers = split_events(events)
            counts["packet_events"] += len(packets)
            counts["handover_events"] += len(handovers)
            bar.update(min(t, duration_ms) - bar.n)
            if sim.finished:
                break
    return {**counts, "warnings": run_warnings(sc, traces.tally)}  # after close: leftovers tallied too


def run_scenario_file(path: str | Path, out: str | Path | None = None, seed: int | None = None,
                      progress: bool = True, extra_sections: Iterable[str] = ("probes",),
                      overrides: dict[str, Any] | None = None) -> Path:
    """Validates the YAML file, runs it and returns the run folder (see cosim.run.rundir).

    ``overrides`` maps dotted keys to values applied before validation (see load_scenario), e.g.
    ``{"duration_s": 0.3}``; ``seed`` is a shortcut for ``{"seed": seed}``.
    """
    overrides = dict(overrides or {})
    if seed is not None:
        overrides["seed"] = seed
    sc = load_any(path, overrides=overrides, extra_sections=extra_sections)
    check_cell(sc)  # checks the probes and refuses a run that cannot finish, before making a run folder
    run_dir = new_run_dir(out, sc.name)
    record = RunRecord(run_dir, resolved(sc), sc.seed, run_facts(sc))
    try:
        counts = run_cell(sc, run_dir, sc.extra.get("probes"), progress=progress)
    except BaseException as exc:
        record.finish(exc)
        raise
    record.finish(**counts)
    return run_dir
