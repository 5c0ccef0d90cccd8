"""Speed of the 5G NR cell (5G-LENA): simulated seconds per wall second at numerology 0, 1 and 3
with 1, 8 and 32 UEs, streaming against bridge off in the same run.

- streaming: per-slot records streamed through the bridge to Python and written to Parquet
  (cosim.run.cell_run.run_cell, the path of `layersplit run`, grants of 100 ms);
- bridge off: the same config run by `nr_cell` alone, records built into a null sink.

Each figure is the program's own measure (its stderr line "... sim-s per wall-s": wall time of
Simulator::Run, set-up left out alike), best of --repeat interleaved runs (the machine is shared).
Target: streaming costs at most 5 % against bridge off at every point.

    python benchmarks/speed/radio_speed.py [--repeat 3] [--quick]

The last line is one JSON object: {"numerology": [...], "ues": [...], "sim_s_per_wall_s": [[...]], ...}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from cosim.run.cell_run import run_cell
from cosim.radio.nr.program_config import to_program_config
from cosim.radio.nr.schema import load_scenario
from cosim.radio.nr.uplink_limit import ofdma_ue_limit
from lte_speed import program_rate, run_standalone  # benchmarks/ is on the path when run as a script

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402

NUMEROLOGIES = (0, 1, 3)
UES = (1, 8, 32)


def bench_scenario(mu: int, ues: int, duration_s: float) -> dict:
    """40 MHz at 3.5 GHz (mu 3: 100 MHz), OFDMA PF, RLC UM, UMa with fading; UEs in a 30-300 m
    disc, 200 kb/s CBR up and down each. Where the UEs are more than an OFDMA uplink can start
    (cosim.radio.nr.uplink_limit: mu 3, 32 UEs; until issue 29 that point's uplink carried
    nothing), TDMA PF instead, so every point carries data both ways."""
    radio = {"technology": "nr", "numerology": mu, "bandwidth_mhz": 100 if mu == 3 else 40}
    limit = ofdma_ue_limit(load_scenario({"name": "limit", "radio": radio}).radio)
    if limit is not None and ues > limit:
        radio["scheduler"] = "tdma_pf"
    return {
        "name": f"nr{mu}-{ues}", "duration_s": duration_s, "seed": 1, "radio": radio,
        "channel": {"scenario": "UMa", "fading": True, "shadowing": True},
        "ue_groups": [{"count": ues, "placement": {"kind": "disc", "radius_min_m": 30, "radius_max_m": 300},
                       "traffic": {"kind": "cbr", "direction": "both", "rate_bps": 200_000,
                                   "packet_bytes": 500, "start_s": 0.1}}],
    }


def run_streaming(sc_dict: dict, work: Path) -> float:
    sc = load_scenario(sc_dict)
    run_dir = Path(tempfile.mkdtemp(dir=work))
    counts = run_cell(sc, run_dir, probes=[], progress=False)
    assert counts["slot_records"] == round(sc.duration_s * 1000 * 2**sc.radio.numerology) * sc.ue_count, counts
    return program_rate((run_dir / "ns3.log").read_text(), "nr_cell")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts (default 3)")
    ap.add_argument("--quick", action="store_true", help="shorter simulated times (a smoke run)")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    durations = {1: 2.0, 8: 1.0, 32: 0.5} if not args.quick else {1: 0.3, 8: 0.2, 32: 0.1}
    print(f"cpus: {os.cpu_count()}, load at start: {os.getloadavg()}; simulated s per UE count: {durations}; "
          f"best of {args.repeat}", flush=True)
    result = {"numerology": list(NUMEROLOGIES), "ues": list(UES), "sim_s_per_wall_s": [],
              "bridge_off_sim_s_per_wall_s": []}
    with tempfile.TemporaryDirectory(prefix="nr-speed-") as tmp:
        work = Path(tmp)
        for mu in NUMEROLOGIES:
            stream_row, off_row = [], []
            for n in UES:
                sc = bench_scenario(mu, n, durations[n])
                cfg = work / f"nr{mu}-{n}.cfg"
                cfg.write_text(to_program_config(load_scenario(sc)))
                stream, off = [], []
                for _ in range(args.repeat):  # interleaved, so drifting load hits both alike
                    stream.append(run_streaming(sc, work))
                    off.append(run_standalone(cfg, program="nr_cell", new_session=True))
                s, o = max(stream), max(off)
                print(f"mu {mu}, {n:2d} UEs: streaming {s:7.3f}  bridge off {o:7.3f} sim-s/wall-s; streaming costs "
                      f"{100 * (1 - s / o):5.1f} %; load now {os.getloadavg()[0]:.2f}", flush=True)
                stream_row.append(round(s, 3)), off_row.append(round(o, 3))
            result["sim_s_per_wall_s"].append(stream_row)
            result["bridge_off_sim_s_per_wall_s"].append(off_row)
    print(json.dumps(result))
    rec.save(result)


if __name__ == "__main__":
    main()
