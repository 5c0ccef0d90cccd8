"""Reliability of `layersplit run` under hostile input, signals and concurrency (issue 13).

1. configs: random invalid and valid cell and session configs (cosim.testing.fuzz's field tables,
   drawn by hypothesis as in tests/hardening/test_config_fuzz.py) through the loaders and the up-front
   estimate: how many ended in a clean one-line error naming the field, how many in anything else.
2. crash storm: runs stopped at a random moment by a random signal (KILL, TERM, INT, STOP) on a
   random side (ns-3 or Python): stops detected (the run ended with the expected status), the
   worst time from the signal to the end of the run per kind, segments left in /dev/shm.
3. concurrency: the same configs run four at once and one after another: runs whose slot traces
   differ.
4. soak: a 64-UE cell for --soak-s simulated seconds, each UE sending 2000 B every
   --soak-period-ms: resident memory of both processes over time (first and last quarter), the
   bytes left queued in the UEs' uplink RLC buffers at the end (their last ``ul_buffer_bytes``:
   what the cell could not carry, to set beside the RSS growth) and the Parquet conversion's
   peak Arrow memory.
5. inputs (issue 29): an alias bomb (9 levels x 9 aliases) and a 50 MB config, each refused in a
   one-line error (time to it); `--out` with a space and with a newline on an LTE and an NR cell
   (1 simulated s), each ending ok; two sweeps started on one folder, one running and the other
   refused naming the holder. A probe is clean when it ends as stated.
6. children (issue 29): every child dies with its parent: a `layersplit sweep` (2 pool workers, each
   running an ns-3 point) SIGKILLed, its workers, resource_tracker and ns-3 programs counted alive
   30 s later (orphans) and the time until none was; `--executor ray --address` where nothing
   listens, where a port never answers, and SIGINT during that wait (seconds to the error or the
   exit); an own program that backgrounds a child and exits (`(sleep 100 &); exit 0`), its child
   counted alive after the run; training and paper values out of bounds (`threads: 0`,
   `ppo.learning_rate: -0.1`, `bank.masks: 1000000000`), each a one-line error naming the key.
7. records (issue 29): examples/nr_fr1.yaml with 48 and 64 UEs, each refused in one line naming the
   OFDMA uplink limit (36 UEs), and with 36 UEs, where every UE carries uplink data (1 simulated s);
   a split run SIGKILLed once 3 requests have finished: the requests readable from its journal,
   once each, in id order, those with quality still pending counted.

    python benchmarks/studies/reliability.py [--stops 100] [--configs 300] [--soak-s 20] [--soak-period-ms 100]
                                     [--parts configs,storm,concurrency,soak,inputs,children,records]

The last line is one JSON object with the counts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cosim.testing.runs import CELL, LAYERSPLIT, write_config
from cosim.testing.storm import STALL_S, expected_outcome, stop_once

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402


def fuzz_configs(n: int, tmp: Path) -> dict:
    """Counts of invalid configs with a clean error, valid ones admitted or refused, and others."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from cosim.config.checks import ConfigError
    from cosim.run.cell_run import check_cell
    from cosim.run.estimate import check_session
    from cosim.radio.scenario import load_any
    from cosim.session.config import SECTIONS, parse_session
    from cosim.testing.fuzz import cell, message_path, session

    counts = {"tried": 0, "invalid": 0, "clean_errors": 0, "valid_admitted": 0, "valid_refused": 0,
              "unclean": 0, "examples_of_unclean": []}

    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.booleans().flatmap(lambda bad: st.tuples(st.just(bad), st.one_of(cell(bad), session(bad)))))
    def one(drawn):
        bad, (cfg, field) = drawn
        counts["tried"] += 1
        counts["invalid"] += bad
        path = tmp / "fuzz.yaml"
        import yaml
        path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
        try:
            sc = load_any(path, extra_sections=SECTIONS)
            if any(k in sc.extra for k in SECTIONS if k != "probes"):
                check_session(sc, parse_session(sc.extra))
            else:
                check_cell(sc)
        except ConfigError as exc:
            text = str(exc)
            if bad and "\n" not in text and text.startswith(message_path(field)):
                counts["clean_errors"] += 1
            elif not bad:
                counts["valid_refused"] += 1
            else:
                counts["unclean"] += 1
                counts["examples_of_unclean"].append(text[:200])
            return
        except Exception as exc:  # noqa: BLE001 - what the benchmark counts
            counts["unclean"] += 1
            counts["examples_of_unclean"].append(f"{type(exc).__name__}: {exc}"[:200])
            return
        if bad:
            counts["unclean"] += 1
            counts["examples_of_unclean"].append(f"accepted invalid {field}")
        else:
            counts["valid_admitted"] += 1

    one()
    counts["examples_of_unclean"] = counts["examples_of_unclean"][:5]
    return counts


def crash_storm(n: int, tmp: Path, seed: int) -> dict:
    rng = random.Random(seed)
    stops, bad, lost = [], [], 0
    for i in range(n):
        s = stop_once(tmp, rng)
        stops.append(s)
        if s.outcome != expected_outcome(s) or s.leaked:
            bad.append(s)
        lost += s.slots <= 0
        print(f"  stop {i + 1:3d}: {s.side:6s} {s.sig:7s} -> {s.outcome:7s} in {s.detected_s:5.2f} s, "
              f"{s.slots} slot records readable, {s.leaked} segments left", flush=True)
    worst = {}
    for s in stops:
        key = f"{s.side}:{s.sig}"
        worst[key] = round(max(worst.get(key, 0.0), s.detected_s), 3)
    return {"stops": n, "detected": n - len(bad), "not_detected": [vars(s) for s in bad], "runs_with_lost_records": lost,
            "leaked_segments": sum(s.leaked for s in stops), "worst_detection_s": max(s.detected_s for s in stops),
            "worst_detection_s_by_kind": dict(sorted(worst.items()))}


def _run(cfg: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([*LAYERSPLIT, "run", str(cfg), "--out", str(out), "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def concurrency(tmp: Path, k: int = 4) -> dict:
    import pandas as pd

    cfgs = [write_config(tmp / f"conc{i}.yaml", {**CELL, "duration_s": 2.0, "seed": 100 + i}) for i in range(k)]
    serial = []
    for i, cfg in enumerate(cfgs):
        p = _run(cfg, tmp / f"serial{i}")
        p.communicate()
        serial.append(pd.read_parquet(tmp / f"serial{i}" / "slots.parquet"))
    procs = [_run(cfg, tmp / f"conc{i}") for i, cfg in enumerate(cfgs)]
    codes = []
    for p in procs:
        p.communicate()
        codes.append(p.returncode)
    mismatched = sum(code != 0 or not pd.read_parquet(tmp / f"conc{i}" / "slots.parquet").equals(serial[i])
                     for i, code in enumerate(codes))
    same_out = tmp / "same"
    same_out.mkdir()
    racers = [_run(cfgs[0], same_out) for _ in range(k)]
    race_codes = []
    for p in racers:
        p.communicate()
        race_codes.append(p.returncode)
    return {"concurrent_runs": k, "mismatched_concurrent_runs": int(mismatched),
            "same_out_winners": race_codes.count(0), "same_out_refused": race_codes.count(1)}


NR_CELL = {"name": "n", "duration_s": 1.0, "seed": 1, "radio": {"technology": "nr"}, "ue_groups": [{"count": 2}],
           "probes": [{"direction": "ul", "bytes": 3000, "period_ms": 100, "start_s": 0.1}]}


def _refused(cfg: Path, expected: str) -> dict:
    t0 = time.perf_counter()
    p = subprocess.run([*LAYERSPLIT, "run", str(cfg), "--no-progress"], capture_output=True, text=True)
    one_line = p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    return {"clean": p.returncode == 1 and one_line and expected in p.stderr, "s": round(time.perf_counter() - t0, 2),
            "stderr": p.stderr.strip()[:300]}


def _ran(cfg: Path, out: Path) -> dict:
    p = _run(cfg, out)
    _, err = p.communicate()
    meta = json.loads((out / "meta.json").read_text()) if (out / "meta.json").is_file() else {}
    return {"clean": p.returncode == 0 and meta.get("status") == "ok" and (out / "slots.parquet").is_file(),
            "stderr": err.strip()[-300:]}


def _two_sweeps(tmp: Path) -> dict:
    write_config(tmp / "sweep_cell.yaml", {**CELL, "duration_s": 1.0})
    spec = write_config(tmp / "two.yaml", {"base": "sweep_cell.yaml", "points": [{"seed": 1}, {"seed": 2}], "workers": 1})
    out = tmp / "two sweeps"
    procs = [subprocess.Popen([*LAYERSPLIT, "sweep", str(spec), "--out", str(out), "--no-progress"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errs = [p.communicate()[1] for p in procs]
    codes = sorted(p.returncode for p in procs)
    manifest = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").is_file() else {"points": {}}
    all_ok = [e["status"] for e in manifest["points"].values()] == ["ok", "ok"]
    return {"clean": codes == [0, 1] and all_ok and any("is in use by pid" in e for e in errs), "codes": codes,
            "stderr": " | ".join(e.strip()[:200] for e in errs)}


def hostile_inputs(tmp: Path) -> dict:
    """Each probe of part 5 with whether it ended as stated."""
    bomb = tmp / "bomb.yaml"
    bomb.write_text("name: t\nl0: &l0 [x]\n" + "".join(
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)))
    big = tmp / "big.yaml"
    with open(big, "w") as f:
        f.write("name: t\nl: [" + "1, " * 17_000_000 + "]\n")
    probes = {"alias_bomb": _refused(bomb, "nodes once aliases are expanded"),
              "file_50mb": _refused(big, "bytes; a scenario file is at most")}
    for tech, sc in (("lte", {**CELL, "duration_s": 1.0}), ("nr", NR_CELL)):
        cfg = write_config(tmp / f"path_{tech}.yaml", sc)
        for label, folder in (("space", "fs out"), ("newline", "line\nbreak")):
            probes[f"out_with_{label}_{tech}"] = _ran(cfg, tmp / folder / tech)
    probes["two_sweeps_one_folder"] = _two_sweeps(tmp)
    for name, result in probes.items():
        print(f"  {name:28s} {'clean' if result['clean'] else 'NOT CLEAN'}: {result}", flush=True)
    return probes


def _sweep_kill(tmp: Path) -> dict:
    """SIGKILL of a sweep driver while its 2 workers run ns-3 points: what is left alive."""
    from cosim.testing.procs import cmdline, descendants, survivors, wait_for

    write_config(tmp / "kill_cell.yaml", {**CELL, "duration_s": 600.0})
    spec = write_config(tmp / "kill.yaml", {"base": "kill_cell.yaml", "points": [{"seed": 1}, {"seed": 2}],
                                            "workers": 2})
    with open(tmp / "kill.err", "w") as err:  # a file: orphans holding a pipe would block a read
        driver = subprocess.Popen([*LAYERSPLIT, "sweep", str(spec), "--out", str(tmp / "kill"), "--no-progress"],
                                  stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    programs = wait_for(lambda: len([p for p in descendants(driver.pid) if "/cosim/bin/" in cmdline(p)]) >= 2, 240)
    tree = descendants(driver.pid)
    kinds = [cmdline(p) for p in tree]
    t0 = time.monotonic()
    driver.kill()
    driver.wait()
    left = survivors(tree, within_s=30)
    gone_s = round(time.monotonic() - t0, 2)
    for pid in left:  # the probe's own mess, whatever it measured
        os.kill(pid, 9)
    return {"clean": bool(programs) and not left, "children": len(tree), "orphans": len(left),
            "all_gone_s": None if left else gone_s, "had_resource_tracker": any("resource_tracker" in k for k in kinds)}


def _ray_address(tmp: Path, address: str, connect_timeout_s: float | None = None) -> subprocess.Popen:
    """`layersplit sweep --executor ray --address ADDRESS`, started."""
    extra = {} if connect_timeout_s is None else {"connect_timeout_s": connect_timeout_s}
    write_config(tmp / "ray_cell.yaml", {**CELL, "duration_s": 1.0})
    spec = write_config(tmp / "ray.yaml", {"base": "ray_cell.yaml", "points": [{"seed": 1}], **extra})
    proc = subprocess.Popen([*LAYERSPLIT, "sweep", str(spec), "--out", str(tmp / "ray"), "--no-progress",
                             "--executor", "ray", "--address", address], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    return proc


def _ray_probes(tmp: Path) -> dict:
    import socket

    probes = {}
    t0 = time.monotonic()
    _, err = _ray_address(tmp, "127.0.0.1:1").communicate(timeout=600)
    probes["ray_address_refused"] = {"clean": "no Ray cluster at 127.0.0.1:1" in err and err.count("\n") == 1,
                                     "s": round(time.monotonic() - t0, 2), "stderr": err.strip()[:300]}
    with socket.socket() as silent:  # accepts (the kernel does) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        silent.settimeout(120)
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        for sigint in (False, True):
            proc = _ray_address(tmp, address, connect_timeout_s=300 if sigint else None)
            conn, _ = silent.accept()  # the sweep is waiting for an answer from here on
            t0 = time.monotonic()
            if sigint:
                proc.send_signal(2)
            _, err = proc.communicate(timeout=600)
            conn.close()
            s = round(time.monotonic() - t0, 2)
            if sigint:
                probes["ray_address_sigint"] = {"clean": s < 3 and "Traceback" not in err, "s": s,
                                                "stderr": err.strip()[:300]}
            else:
                probes["ray_address_silent"] = {"clean": "no answer within 5 s" in err and s < 10, "s": s,
                                                "stderr": err.strip()[:300]}
    return probes


def _program_child(tmp: Path) -> dict:
    """An own program that backgrounds `sleep 100` and exits: is the sleep alive after the run?"""
    from cosim.testing.runs import alive

    script = tmp / "bg prog.sh"
    script.write_text(f"#!/bin/sh\n(sleep 100 & echo $! > '{tmp}/bg.pid')\n"
                      f"while [ ! -s '{tmp}/bg.pid' ]; do sleep 0.05; done\nexit 0\n")
    script.chmod(0o755)
    cfg = write_config(tmp / "bg.yaml", {"name": "bg", "duration_s": 1.0, "program": {"path": str(script)}})
    p = subprocess.run([*LAYERSPLIT, "run", str(cfg), "--out", str(tmp / "bg"), "--no-progress"],
                       capture_output=True, text=True)
    if not (tmp / "bg.pid").is_file():
        return {"clean": False, "children_left": None, "stderr": p.stderr.strip()[:200]}
    pid = int((tmp / "bg.pid").read_text())
    left = alive(pid)
    if left:
        os.kill(pid, 9)
    return {"clean": p.returncode == 1 and not left, "children_left": int(left), "stderr": p.stderr.strip()[:200]}


def _bad_training(tmp: Path, command: str, example: str, section: str | None, key: str, value, expected: str) -> dict:
    import yaml

    raw = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / example).read_text())
    if section:
        raw[section] = {**raw[section], key: value}
    else:
        raw[key] = value
    cfg = write_config(tmp / f"{command}_{key}.yaml", raw)
    t0 = time.monotonic()
    p = subprocess.run([*LAYERSPLIT, command, str(cfg), "--out", str(tmp / f"{command}_{key}")],
                       capture_output=True, text=True)
    return {"clean": p.returncode == 1 and p.stderr == f"layersplit {command}: error: {expected}\n",
            "s": round(time.monotonic() - t0, 2), "stderr": p.stderr.strip()[:300]}


def children_probes(tmp: Path) -> dict:
    """Each probe of part 6 with whether it ended as stated."""
    probes = {"sweep_driver_sigkill": _sweep_kill(tmp), **_ray_probes(tmp), "program_background_child":
              _program_child(tmp),
              "train_threads_0": _bad_training(tmp, "train", "mbrl_quick.yaml", None, "threads", 0,
                                               "threads: 0 must be >= 1 (allowed: 1 <= x <= 1024)"),
              "train_learning_rate_negative": _bad_training(
                  tmp, "train", "mbrl_quick.yaml", "ppo", "learning_rate", -0.1,
                  "ppo.learning_rate: -0.1 must be > 0 (allowed: 0 < x <= 1)"),
              "paper_bank_masks_1e9": _bad_training(
                  tmp, "paper", "mbrl_paper.yaml", "bank", "masks", 1_000_000_000,
                  "bank.masks: 1000000000 must be <= 1000 (allowed: 2 <= x <= 1000)")}
    for name, result in probes.items():
        print(f"  {name:28s} {'clean' if result['clean'] else 'NOT CLEAN'}: {result}", flush=True)
    return probes


PARTS = ("configs", "storm", "concurrency", "soak", "inputs", "children", "records")


NR_FR1 = Path(__file__).resolve().parents[2] / "examples" / "nr_fr1.yaml"


def nr_ue_limit(tmp: Path) -> dict:
    """nr_fr1 past its OFDMA uplink limit is refused naming it; at the limit every UE carries data."""
    from cosim.outputs.traces import read_slots

    probes = {}
    for count in (47, 63):  # + the example's 1 other UE: 48 and 64
        t0 = time.perf_counter()
        p = subprocess.run([*LAYERSPLIT, "run", str(NR_FR1), "--set", "duration_s=2", "--set",
                            f"ue_groups.0.count={count}", "--out", str(tmp / f"nr{count}"), "--no-progress"],
                           capture_output=True, text=True)
        one_line = p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
        probes[f"nr_fr1_{count + 1}_ues_refused"] = {
            "clean": p.returncode == 1 and one_line and "Use at most 36 UEs" in p.stderr,
            "s": round(time.perf_counter() - t0, 2), "stderr": p.stderr.strip()[:300]}
    out = tmp / "nr36"
    p = subprocess.run([*LAYERSPLIT, "run", str(NR_FR1), "--set", "duration_s=1", "--set", "ue_groups.0.count=35",
                        "--out", str(out), "--no-progress"], capture_output=True, text=True)
    carrying = 0
    if p.returncode == 0:
        slots = read_slots(out)
        carrying = int(slots[slots["harq"] == 1]["ue"].nunique())
    probes["nr_fr1_36_ues_carry"] = {"clean": p.returncode == 0 and carrying == 36, "ues_carrying": carrying,
                                     "stderr": p.stderr.strip()[-300:]}
    return probes


def split_sigkill(tmp: Path, at_least: int = 3) -> dict:
    """A split run SIGKILLed once ``at_least`` requests have finished: what its journal keeps."""
    import signal

    from cosim.outputs.traces import read_requests
    from cosim.testing.runs import SESSION, alive, ns3_child, start

    out = tmp / "killed_split"
    proc = start(write_config(tmp / "killed_split.yaml", SESSION), out)
    ns3 = ns3_child(proc, out, timeout_s=300)
    journal, deadline = out / "requests.parquet.arrows", time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and len(read_requests(out)) >= at_least:
            break
        time.sleep(0.2)
    seen = len(read_requests(out)) if journal.exists() else 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    end = time.monotonic() + 30
    while alive(ns3) and time.monotonic() < end:
        time.sleep(0.05)
    req = read_requests(out)
    in_order = list(req["request"]) == list(range(len(req)))  # one UE: requests finish in id order
    return {"clean": len(req) >= max(seen, at_least) and in_order and not alive(ns3),
            "requests_readable": len(req), "requests_seen_before_kill": seen,
            "quality_pending": int(req["quality_pending"].sum()), "ns3_ended": not alive(ns3)}


def records_probes(tmp: Path) -> dict:
    """Each probe of part 6 with whether it ended as stated."""
    probes = {**nr_ue_limit(tmp), "split_sigkill_requests": split_sigkill(tmp)}
    for name, result in probes.items():
        print(f"  {name:28s} {'clean' if result['clean'] else 'NOT CLEAN'}: {result}", flush=True)
    return probes


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def soak(tmp: Path, sim_s: float, period_ms: float) -> dict:
    cfg = write_config(tmp / "soak.yaml", {
        "name": "soak", "duration_s": sim_s, "seed": 1, "radio": {"bandwidth_rbs": 50},
        "ue_groups": [{"count": 64, "placement": {"kind": "disc", "radius_min_m": 20, "radius_max_m": 300},
                       "mobility": {"kind": "random_walk"}}],
        "probes": [{"direction": "ul", "bytes": 2000, "period_ms": period_ms, "start_s": 0.2}]})
    out = tmp / "soak"
    proc = _run(cfg, out)
    samples = []  # (python MB, ns-3 MB)
    while proc.poll() is None:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split() if _rss_mb(proc.pid) else []
        py, ns3 = _rss_mb(proc.pid), _rss_mb(int(kids[0])) if kids else None
        if py and ns3:
            samples.append((py, ns3))
        time.sleep(0.5)
    _, err = proc.communicate()
    quarter = max(1, len(samples) // 4)

    def mean(rows, i):
        return round(sum(r[i] for r in rows) / len(rows), 1) if rows else None
    return {"soak_sim_s": sim_s, "soak_ues": 64, "soak_period_ms": period_ms,
            "soak_offered_mbit_s": round(64 * 2000 * 8 / period_ms / 1000, 2),
            "soak_status": json.loads((out / "meta.json").read_text())["status"],
            "soak_samples": len(samples), "ue_rlc_queued_mb_at_end": queued_mb(out),
            "python_rss_mb_first_last_quarter": [mean(samples[:quarter], 0), mean(samples[-quarter:], 0)],
            "ns3_rss_mb_first_last_quarter": [mean(samples[:quarter], 1), mean(samples[-quarter:], 1)],
            "soak_slot_rows": 64 * round(sim_s * 1000)}


def queued_mb(run: Path) -> float:
    """MB left in the UEs' uplink RLC queues at the run's end (each UE's last record)."""
    from cosim.outputs.traces import read_slots

    slots = read_slots(run)
    last = slots.sort_values("t_ns").groupby("ue")["ul_buffer_bytes"].last()
    return round(float(last.sum()) / 2**20, 2)


def conversion_peak(tmp: Path) -> dict:
    """Peak Arrow memory converting a 64-UE, 60-simulated-second slot journal (3.84 M rows)."""
    code = f"""
import numpy as np, pyarrow as pa
from cosim.bridge.launcher import EVENT_DTYPE, SLOT_DTYPE
from cosim.outputs.traces import TraceWriter
w = TraceWriter({str(tmp)!r})
rows, none = np.zeros(64 * 100, SLOT_DTYPE), np.zeros(0, EVENT_DTYPE)
for g in range(600):  # 600 grants of 100 ms, 64 UEs
    rows["seq"] = np.arange(g * len(rows), (g + 1) * len(rows))
    w.write(rows, none)
w.close()
print(pa.default_memory_pool().max_memory())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    size = (tmp / "slots.parquet").stat().st_size
    from cosim.bridge.launcher import SLOT_DTYPE

    return {"conversion_rows": 64 * 100 * 600, "conversion_peak_arrow_mb": round(int(out[0]) / 2**20, 1),
            "conversion_whole_table_mb": round(64 * 100 * 600 * SLOT_DTYPE.itemsize / 2**20, 1),
            "conversion_parquet_mb": round(size / 2**20, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stops", type=int, default=100)
    ap.add_argument("--configs", type=int, default=300)
    ap.add_argument("--soak-s", type=float, default=20.0)
    ap.add_argument("--soak-period-ms", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--parts", default=",".join(PARTS), help=f"which to run, of {','.join(PARTS)}")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    parts = args.parts.split(",")
    if set(parts) - set(PARTS):
        ap.error(f"--parts: {sorted(set(parts) - set(PARTS))} not among {list(PARTS)}")
    print(f"layersplit reliability: {parts}: {args.configs} configs, {args.stops} stops (stall timeout {STALL_S} s), "
          f"4 concurrent runs, 64-UE soak of {args.soak_s} simulated s at {args.soak_period_ms} ms; "
          f"{os.cpu_count()} CPUs")
    summary: dict = {}
    with tempfile.TemporaryDirectory(prefix="layersplit-reliability-") as tmp:
        tmp = Path(tmp)
        if "configs" in parts:
            t0 = time.perf_counter()
            c = fuzz_configs(args.configs, tmp)
            print(f"configs: {c} ({time.perf_counter() - t0:.0f} s)", flush=True)
            summary.update(configs_tried=c["tried"], clean_errors=c["clean_errors"], invalid_configs=c["invalid"],
                           unclean_outcomes=c["unclean"], valid_admitted=c["valid_admitted"])
        if "storm" in parts:
            s = crash_storm(args.stops, tmp, args.seed)
            print(f"storm: { {k: v for k, v in s.items() if k != 'not_detected'} }", flush=True)
            summary.update(stops=s["stops"], stops_detected=s["detected"],
                           runs_with_lost_records=s["runs_with_lost_records"],
                           worst_detection_s=round(s["worst_detection_s"], 3),
                           worst_detection_s_by_kind=s["worst_detection_s_by_kind"],
                           leaked_segments=s["leaked_segments"])
        if "concurrency" in parts:
            k = concurrency(tmp)
            print(f"concurrency: {k}", flush=True)
            summary.update(mismatched_concurrent_runs=k["mismatched_concurrent_runs"],
                           same_out_winners=k["same_out_winners"])
        if "soak" in parts:
            (tmp / "conv").mkdir()
            soaked = {**soak(tmp, args.soak_s, args.soak_period_ms), **conversion_peak(tmp / "conv")}
            print(f"soak: {soaked}", flush=True)
            summary.update(soaked)
        if "inputs" in parts:
            probes = hostile_inputs(tmp)
            summary.update(input_probes=len(probes), input_probes_clean=sum(p["clean"] for p in probes.values()),
                           input_probes_not_clean=sorted(k for k, p in probes.items() if not p["clean"]),
                           alias_bomb_error_s=probes["alias_bomb"]["s"], file_50mb_error_s=probes["file_50mb"]["s"])
        if "children" in parts:
            probes = children_probes(tmp)
            kill = probes["sweep_driver_sigkill"]
            summary.update(children_probes=len(probes), children_probes_clean=sum(p["clean"] for p in probes.values()),
                           children_probes_not_clean=sorted(k for k, p in probes.items() if not p["clean"]),
                           sweep_kill_children=kill["children"], sweep_kill_orphans=kill["orphans"],
                           sweep_kill_all_gone_s=kill["all_gone_s"],
                           ray_refused_error_s=probes["ray_address_refused"]["s"],
                           ray_silent_error_s=probes["ray_address_silent"]["s"],
                           ray_sigint_exit_s=probes["ray_address_sigint"]["s"],
                           program_children_left=probes["program_background_child"]["children_left"])
        if "records" in parts:
            probes = records_probes(tmp)
            kill = probes["split_sigkill_requests"]
            summary.update(records_probes=len(probes), records_probes_clean=sum(p["clean"] for p in probes.values()),
                           records_probes_not_clean=sorted(k for k, p in probes.items() if not p["clean"]),
                           killed_split_requests_readable=kill["requests_readable"],
                           killed_split_quality_pending=kill["quality_pending"])
    summary["peak_child_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    print(json.dumps(summary))
    rec.save(summary)


if __name__ == "__main__":
    main()
