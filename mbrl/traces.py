"""Recorded LTE traces for training and evaluation, and the decision states cut from them.

A trace is a ``layersplit run`` of a plain cell scenario with one uplink probe per UE: each
send is exactly one activation's bytes (see :func:`mbrl.evaluator.activation_layout`). With
``arrivals: poisson`` (default) each UE sends at the times of its own seeded Poisson process of
mean gap ``period_ms``, like a session's Poisson requests, so the channel history before a
decision includes idle stretches as it does live (a probe does not wait for the previous one,
where a session's UE serves one request at a time; a queue at this load would make the sends
nearly periodic again); ``periodic`` sends every ``period_ms``,
staggered between UEs. A *decision* is one probe: the agent picks k at the probe's send time
from the UE's slot records before it, and the probe's packet fates are what that activation met.

Runs are cached under ``${LAYERSPLIT_CACHE:-~/.cache/layersplit}/mbrl_traces/<hash>/`` where the
hash covers the scenario, seed, probe and record layout version; a cached run is reused, never re-simulated.
"""
from __future__ import annotations

import copy
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .features import N_FEATURES, WINDOW_SLOTS, observation

# Two channel/mobility models with a mix of clean, partly lost and fully lost activations
# (seeds 1 and 2: 57% clean, 16% partly lost, 28% fully lost; seed 3: 44% / 17% / 40%; 20 kB
# Poisson probes of mean gap 200 ms per UE, deadline 200 ms, 10 s runs): log-distance 3.0
# and 3.2 with EPA fading, random walkers and a vehicle. The probes are the only uplink
# traffic, as a session's requests are.
DEFAULT_VARIANTS: dict[str, dict[str, Any]] = {
    "ld30_walk_vehicle": {
        "radio": {"bandwidth_rbs": 25, "scheduler": "pf", "rlc_mode": "UM"},
        "channel": {"propagation": "log_distance", "log_distance": {"exponent": 3.0},
                    "fading": {"model": "epa", "speed_kmh": 3}},
        "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
        "ue_groups": [
            {"count": 2, "placement": {"kind": "disc", "radius_min_m": 40, "radius_max_m": 250},
             "mobility": {"kind": "random_walk", "speed_min_mps": 1, "speed_max_mps": 2,
                          "bounds": [-300, 300, -300, 300]}},
            {"count": 1, "placement": {"kind": "list", "positions": [[60, 20]]},
             "mobility": {"kind": "constant_velocity", "speed_mps": 15, "heading_deg": 0}}],
    },
    "ld32_walk_vehicle": {
        "radio": {"bandwidth_rbs": 25, "scheduler": "pf", "rlc_mode": "UM"},
        "channel": {"propagation": "log_distance", "log_distance": {"exponent": 3.2},
                    "fading": {"model": "epa", "speed_kmh": 3}},
        "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
        "ue_groups": [
            {"count": 2, "placement": {"kind": "disc", "radius_min_m": 30, "radius_max_m": 200},
             "mobility": {"kind": "random_walk", "speed_min_mps": 1, "speed_max_mps": 2,
                          "bounds": [-300, 300, -300, 300]}},
            {"count": 1, "placement": {"kind": "list", "positions": [[-40, 10]]},
             "mobility": {"kind": "constant_velocity", "speed_mps": 10, "heading_deg": 180}}],
    },
    # A 5G NR cell (5G-LENA) at numerology 0, so a record is 1 ms as in the LTE variants and the
    # slot-count windows of mbrl.features span the same time: 10 MHz at 3.5 GHz, TR 38.901 urban
    # macro with shadowing and fast fading, the same walkers and vehicle as ld32_walk_vehicle.
    "nr_uma_walk_vehicle": {
        "radio": {"technology": "nr", "numerology": 0, "frequency_ghz": 3.5, "bandwidth_mhz": 10,
                  "scheduler": "ofdma_pf", "rlc_mode": "UM"},
        "channel": {"scenario": "UMa", "shadowing": True, "fading": True, "update_period_ms": 100},
        "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
        "ue_groups": [
            {"count": 2, "placement": {"kind": "disc", "radius_min_m": 30, "radius_max_m": 200},
             "mobility": {"kind": "random_walk", "speed_min_mps": 1, "speed_max_mps": 2,
                          "bounds": [-300, 300, -300, 300]}},
            {"count": 1, "placement": {"kind": "list", "positions": [[-40, 10]]},
             "mobility": {"kind": "constant_velocity", "speed_mps": 10, "heading_deg": 180}}],
    },
}


ARRIVALS = ("poisson", "periodic")


@dataclass(frozen=True)
class TraceConfig:
    """Which traces to record.

    Args:
        variants: names of :data:`DEFAULT_VARIANTS` or {name: scenario mapping without name,
            seed, duration_s and probes}.
        train_seeds, test_seeds: scenario seeds; held-out traces use test seeds only.
        duration_s: simulated seconds per run (>= 1.5).
        period_ms: probe period (periodic) or mean gap (poisson) per UE, ms (>= 50).
        arrivals: ``poisson`` or ``periodic`` (module doc).
        deadline_ms: a packet arriving later than this after the send counts as lost (>= 1).
        cache_dir: root of the cache; default ``$LAYERSPLIT_CACHE`` or ``~/.cache/layersplit``.
    """

    variants: tuple = ("ld30_walk_vehicle", "ld32_walk_vehicle")
    train_seeds: tuple = (1, 2)
    test_seeds: tuple = (3,)
    duration_s: float = 10.0
    period_ms: float = 200.0
    arrivals: str = "poisson"
    deadline_ms: float = 200.0
    cache_dir: str | None = None

    def __post_init__(self):
        if self.duration_s < 1.5:
            raise ValueError(f"traces.duration_s: {self.duration_s!r} must be >= 1.5")
        if self.period_ms < 50:
            raise ValueError(f"traces.period_ms: {self.period_ms!r} must be >= 50")
        if self.arrivals not in ARRIVALS:
            raise ValueError(f"traces.arrivals: {self.arrivals!r} is not one of {', '.join(ARRIVALS)}")
        if self.deadline_ms < 1:
            raise ValueError(f"traces.deadline_ms: {self.deadline_ms!r} must be >= 1")
        for v in self.variants:
            if isinstance(v, str) and v not in DEFAULT_VARIANTS:
                raise ValueError(f"traces.variants: {v!r} is not one of {sorted(DEFAULT_VARIANTS)} "
                                 "(or give a scenario mapping)")
        if set(self.train_seeds) & set(self.test_seeds):
            raise ValueError(f"traces.test_seeds: {self.test_seeds} overlap train_seeds {self.train_seeds}")


def _variant(v) -> tuple[str, dict]:
    if isinstance(v, str):
        return v, DEFAULT_VARIANTS[v]
    if isinstance(v, dict) and "name" in v:
        body = {k: val for k, val in v.items() if k != "name"}
        return str(v["name"]), body
    raise ValueError(f"traces.variants: {v!r} is neither a known name nor a mapping with a 'name'")


def _ue_count(body: dict) -> int:
    return sum(int(g.get("count", 1)) for g in body.get("ue_groups", []))


def scenario_for(name: str, body: dict, seed: int, cfg: TraceConfig, probe_bytes: int) -> dict:
    """The scenario mapping of one recorded run (probes staggered across the UEs)."""
    sc = copy.deepcopy(body)
    n = _ue_count(sc)
    stop = cfg.duration_s - 0.5  # leaves time for the last probe's packets to arrive or time out
    sc.update(name=f"mbrl_{name}", seed=int(seed), duration_s=float(cfg.duration_s))
    if cfg.arrivals == "periodic":
        sc["probes"] = [{"direction": "ul", "ue": u, "bytes": int(probe_bytes), "period_ms": float(cfg.period_ms),
                         "start_s": round(0.5 + u * cfg.period_ms / n / 1000, 3), "stop_s": stop}
                        for u in range(n)]
    else:
        sc["probes"] = [{"direction": "ul", "ue": u, "bytes": int(probe_bytes),
                         "times_s": poisson_times(np.random.default_rng([seed, u]), cfg.period_ms / 1000, 0.5, stop)}
                        for u in range(n)]
    return sc


def poisson_times(rng: np.random.Generator, mean_gap_s: float, start_s: float, stop_s: float) -> list[float]:
    """Send times (s, ms resolution) of a Poisson process from start_s, below stop_s."""
    times, t = [], start_s
    while True:
        t += rng.exponential(mean_gap_s)
        if t >= stop_s:
            return times
        times.append(round(float(t), 3))


def record_traces(cfg: TraceConfig, probe_bytes: int, seeds: Sequence[int]) -> list[Path]:
    """Run folders for every (variant, seed), simulated with ``layersplit run`` unless cached."""
    from cosim.run.cell_run import run_scenario_file
    from cosim.bridge.programs import bridge_module
    from llm_split import default_cache_dir

    root = (Path(cfg.cache_dir).expanduser() if cfg.cache_dir else default_cache_dir()) / "mbrl_traces"
    out = []
    for v in cfg.variants:
        name, body = _variant(v)
        for seed in seeds:
            sc = scenario_for(name, body, seed, cfg, probe_bytes)
            # The record layout too: traces of an older layout lack fields the features read.
            key = {"scenario": sc, "layout": bridge_module().LAYOUT_VERSION}
            digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
            run = root / f"{name}_s{seed}_{digest}"
            if not (run / "packets.parquet").exists() or not (run / "meta.json").exists():
                tmp = root / f".{run.name}.tmp"
                if tmp.exists():
                    import shutil
                    shutil.rmtree(tmp)
                import yaml

                # A file rather than a mapping: the runner's loader takes a path.
                root.mkdir(parents=True, exist_ok=True)
                spec = root / f".{run.name}.yaml"
                spec.write_text(yaml.safe_dump(sc, sort_keys=False))
                run_scenario_file(spec, out=tmp, progress=False)
                spec.unlink()
                tmp.rename(run)
            out.append(run)
    return out


@dataclass
class Decisions:
    """Decision states cut from traces, one row per probe (all arrays share the first axis).

    Attributes:
        feats: float32 (n, N_FEATURES) scaled features (mbrl.features) of the UE's slot records
            and packet fates known before the probe's send time.
        lost: packet indices of each probe lost or later than the deadline.
        loss_frac: float (n,), len(lost) / packets.
        delay_ms: float (n,) uplink latency of the activation: last packet's arrival, or the
            deadline when any packet was lost.
        window: int (n,) text window of the state's evaluation.
        episode: int (n,) one episode per (trace, UE), in time order within it.
        trace: names of the run folders (index = trace id); trace_id: int (n,).
    """

    feats: np.ndarray
    lost: list
    loss_frac: np.ndarray
    delay_ms: np.ndarray
    window: np.ndarray
    episode: np.ndarray
    trace_id: np.ndarray
    t_s: np.ndarray
    trace: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lost)

    def episodes(self) -> list[np.ndarray]:
        """State indices of each episode, in time order."""
        return [np.flatnonzero(self.episode == e) for e in np.unique(self.episode)]

    def subset(self, idx) -> "Decisions":
        idx = np.asarray(idx)
        return Decisions(self.feats[idx], [self.lost[i] for i in idx], self.loss_frac[idx], self.delay_ms[idx],
                         self.window[idx], self.episode[idx], self.trace_id[idx], self.t_s[idx], self.trace)


def run_loss_timeout_ms(run: Path) -> float:
    """When the run's ns-3 reported a loss after the send (its resolved config)."""
    from cosim.config.checks import load_yaml

    cfg = load_yaml(run / "config.yaml", "run config")
    return float((cfg.get("transfer") or {}).get("loss_timeout_ms", 1000.0))


def load_decisions(runs: Sequence[Path], n_packets: int, deadline_ms: float, n_windows: int) -> Decisions:
    """Decision states of the probes in ``runs`` (probes of another packet count are refused)."""
    from cosim.outputs.traces import read_packets, read_slots

    rows = {k: [] for k in ("feats", "lost", "loss_frac", "delay_ms", "window", "episode", "trace_id", "t_s")}
    episode = 0
    for ti, run in enumerate(runs):
        slots, pk = read_slots(run), read_packets(run)
        pk = pk[pk["direction"] == 0]
        bad = pk[pk["n_packets"] != n_packets]
        if len(bad):
            raise ValueError(f"trace {run}: probes of {int(bad['n_packets'].iloc[0])} packets, the evaluator's "
                             f"activation has {n_packets}; re-record with the evaluator's activation size")
        loss_timeout_ms = run_loss_timeout_ms(Path(run))
        for ue, ue_slots in slots.groupby("ue"):
            ue_slots = ue_slots.sort_values("t_ns")
            t_ns = ue_slots["t_ns"].to_numpy()
            cols = {c: ue_slots[c].to_numpy() for c in ("t_ns", "ul_est_sinr_db", "ul_est_age_ms", "cqi", "harq",
                                                         "ul_tbs_bytes", "ul_buffer_bytes")}
            ue_pk = pk[pk["ue"] == ue]
            events = {c: ue_pk[c].to_numpy() for c in ("t_send_ns", "t_recv_ns", "tag", "n_packets", "direction")}
            for tag, probe in ue_pk.groupby("tag"):
                t_send = int(probe["t_send_ns"].min())
                end = int(np.searchsorted(t_ns, t_send, side="left"))
                recent = {c: v[max(0, end - WINDOW_SLOTS):end] for c, v in cols.items()}
                late = probe["lost"].to_numpy() | (probe["delay_ms"].fillna(np.inf).to_numpy() > deadline_ms)
                lost = frozenset(int(i) for i in probe["packet"].to_numpy()[late])
                # Packets never reported (the run ended) are lost too.
                lost |= frozenset(set(range(n_packets)) - set(int(i) for i in probe["packet"]))
                delay = deadline_ms if lost else float(probe["delay_ms"].max())
                rows["feats"].append(observation(recent, events, t_send, deadline_ms, loss_timeout_ms))
                rows["lost"].append(lost)
                rows["loss_frac"].append(len(lost) / n_packets)
                rows["delay_ms"].append(delay)
                rows["window"].append(zlib.crc32(f"{Path(run).name}/{ue}/{tag}".encode()) % n_windows)
                rows["episode"].append(episode)
                rows["trace_id"].append(ti)
                rows["t_s"].append(t_send / 1e9)
            episode += 1
    n = len(rows["lost"])
    return Decisions(np.array(rows["feats"], np.float32).reshape(n, N_FEATURES), rows["lost"],
                     np.array(rows["loss_frac"]), np.array(rows["delay_ms"]), np.array(rows["window"], int),
                     np.array(rows["episode"], int), np.array(rows["trace_id"], int), np.array(rows["t_s"]),
                     [Path(r).name for r in runs])
