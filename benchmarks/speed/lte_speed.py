"""Speed of the LTE cell: simulated seconds per wall second for 1, 8 and 32 UEs, three ways.

- streaming: per-slot records streamed through the bridge to Python and written to Parquet
  (cosim.run.cell_run.run_cell: the same path as `layersplit run`, grants of 100 ms);
- bridge off: the same scenario run by `lte_cell` alone, records built into a null sink;
- no records: `lte_cell --no-records`, pure ns-3 (no collector at all).

Each figure is the program's own measure (stderr line "... sim-s per wall-s": wall time of
Simulator::Run, so process start and cell set-up are left out alike), best of --repeat runs
(the machine is shared; the best run is the least disturbed). The streaming row also shows the
Python-side figure (first grant to last record written, set-up included).

    python benchmarks/speed/lte_speed.py [--repeat 3] [--quick] [--cells 3]

--cells 3 measures three cells with handover and 30 UEs (bench_scenario) instead.

The last line is one JSON object:
{"ues": [...], "sim_s_per_wall_s": [...], "bridge_off_sim_s_per_wall_s": [...], ...}
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cosim.run.cell_run import run_cell
from cosim.bridge.programs import program_path
from cosim.radio.lte.schema import load_scenario
from cosim.radio.lte.program_config import to_program_config

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402

UES = (1, 8, 32)
_RATE = re.compile(r"\(([0-9.]+) sim-s per wall-s\)")


# --cells 3: three eNBs 500 m apart (a triangle) with A3-RSRP handover and RLC AM (UM cannot carry
# this downlink across a handover, docs/scenarios.md); the UEs in a disc around its centre.
CELLS_3 = [{"position": [0, 0]}, {"position": [500, 0]}, {"position": [250, 433]}]


def bench_scenario(ues: int, duration_s: float, cells: int = 1) -> dict:
    """50 RBs, PF, RLC UM, log-distance; UEs in a 30-300 m disc, 200 kb/s CBR up and down each.
    cells 3: CELLS_3, RLC AM, A3-RSRP handover, the disc around (250, 144)."""
    radio = {"bandwidth_rbs": 50, "scheduler": "pf", "rlc_mode": "UM"}
    center = [0, 0]
    if cells == 3:
        radio.update(cells=CELLS_3, rlc_mode="AM", handover={"algorithm": "a3_rsrp"})
        center = [250, 144]
    elif cells != 1:
        raise ValueError(f"--cells: {cells} is not one of 1, 3")
    return {
        "name": f"speed{ues}", "duration_s": duration_s, "seed": 1,
        "radio": radio,
        "channel": {"propagation": "log_distance"},
        "ue_groups": [{"count": ues, "placement": {"kind": "disc", "center": center, "radius_min_m": 30,
                                                   "radius_max_m": 300},
                       "traffic": {"kind": "cbr", "direction": "both", "rate_bps": 200_000,
                                   "packet_bytes": 500, "start_s": 0.1}}],
    }


def program_rate(text: str, program: str = "lte_cell") -> float:
    """The sim-s per wall-s a cell program reports on stderr (its own measure of Simulator::Run)."""
    m = _RATE.search(text)
    if not m:
        raise RuntimeError(f"no speed line in {program} output:\n{text[-2000:]}")
    return float(m.group(1))


def run_standalone(cfg: Path, *extra: str, program: str = "lte_cell", new_session: bool = False) -> float:
    """``program`` alone on ``cfg`` (records into a null sink); ``new_session``: in its own session,
    as the launcher starts it (on a loaded machine Linux shares CPU between sessions)."""
    out = subprocess.run([str(program_path(program)), f"--config={cfg}", *extra],
                         capture_output=True, text=True, check=True, start_new_session=new_session)
    return program_rate(out.stderr, program)


def run_streaming(sc_dict: dict, work: Path) -> tuple[float, float]:
    sc = load_scenario(sc_dict)
    run_dir = Path(tempfile.mkdtemp(dir=work))
    t0 = time.perf_counter()
    counts = run_cell(sc, run_dir, probes=[], progress=False)
    wall = time.perf_counter() - t0
    assert counts["slot_records"] == round(sc.duration_s * 1000) * sc.ue_count, counts
    return program_rate((run_dir / "ns3.log").read_text()), sc.duration_s / wall


def _setup_lines(cpu: str, durations: dict[int, float], repeat: int, cells: int) -> list[str]:
    return [f"cpu: {cpu} x {os.cpu_count()}", f"load (1/5/15 min) at start: {os.getloadavg()}",
            "scenario: " + json.dumps(bench_scenario(0, 0, cells)).replace('"count": 0', '"count": N'),
            f"simulated seconds per size: {durations}; best of {repeat}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts (default 3)")
    ap.add_argument("--quick", action="store_true", help="shorter simulated times (a smoke run)")
    ap.add_argument("--cells", type=int, default=1, help="1 (default), or 3: three cells with handover, 30 UEs")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    durations = {1: 10.0, 8: 4.0, 32: 2.0} if not args.quick else {1: 1.0, 8: 0.5, 32: 0.3}
    sizes = UES if args.cells == 1 else (30,)
    if args.cells != 1:
        durations = {30: 0.5 if args.quick else 3.0}
    for line in _setup_lines(rec.setup["cpu"], durations, args.repeat, args.cells):
        print(line, flush=True)
    result = {"cells": args.cells, "ues": list(sizes), "sim_s_per_wall_s": [], "bridge_off_sim_s_per_wall_s": [],
              "no_records_sim_s_per_wall_s": [], "streaming_end_to_end_sim_s_per_wall_s": []}
    with tempfile.TemporaryDirectory(prefix="lte-speed-") as tmp:
        work = Path(tmp)
        for n in sizes:
            sc = bench_scenario(n, durations[n], args.cells)
            cfg = work / f"speed{n}.cfg"
            cfg.write_text(to_program_config(load_scenario(sc)))
            stream, e2e, off, bare = [], [], [], []
            for _ in range(args.repeat):  # interleaved, so drifting load hits all three alike
                s, e = run_streaming(sc, work)
                stream.append(s), e2e.append(e)
                off.append(run_standalone(cfg))
                bare.append(run_standalone(cfg, "--no-records"))
            row = (max(stream), max(off), max(bare), max(e2e))
            print(f"{n:3d} UEs: streaming {row[0]:7.3f}  bridge off {row[1]:7.3f}  no records {row[2]:7.3f}"
                  f"  sim-s/wall-s; streaming costs {100 * (1 - row[0] / row[1]):5.1f} % vs bridge off"
                  f" (end to end in Python {row[3]:.3f}); load now {os.getloadavg()[0]:.2f}", flush=True)
            for key, v in zip(("sim_s_per_wall_s", "bridge_off_sim_s_per_wall_s", "no_records_sim_s_per_wall_s",
                               "streaming_end_to_end_sim_s_per_wall_s"), row):
                result[key].append(round(v, 3))
    print(json.dumps(result))
    rec.save(result)


if __name__ == "__main__":
    main()
