"""Wall seconds per simulated request of a split-inference session, for 1 and 8 UEs, and where
the wall time goes: ns-3 (the program's own work between grants), the model (head and tail
passes), the bridge (grant exchanges and record transfer: time in Simulation.advance minus
ns-3's), and the rest (simpy, codec, Python). Each size runs twice, same seed: "before" (one
grant per slot while transfers fly, a tail pass per request on the critical path) and "after"
(event-driven grants, deduplicated tail passes batched after the fact); both write the same traces.

    python benchmarks/speed/cosim_speed.py [--ues 1 8] [--duration 10] [--rate 1.0]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

from cosim.session.runner import run_session_file

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402


def scenario(ues: int, duration_s: float, rate: float, prompt_tokens: int) -> dict:
    return {
        "name": f"speed-{ues}ue", "duration_s": duration_s, "seed": 1,
        "radio": {"bandwidth_rbs": 50, "scheduler": "pf", "rlc_mode": "UM"},
        "channel": {"propagation": "log_distance", "log_distance": {"exponent": 3.0}},
        "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 300},
        "ue_groups": [{"count": ues, "placement": {"kind": "disc", "radius_min_m": 30, "radius_max_m": 200},
                       "mobility": {"kind": "random_walk", "speed_min_mps": 1, "speed_max_mps": 2,
                                    "bounds": [-300, 300, -300, 300]}}],
        "model": {"wire_dtype": "float16"},
        "requests": {"rate_per_s": rate, "prompt_tokens": prompt_tokens, "windows": 16, "deadline_ms": 300},
        "split": {"policy": "fixed", "k": 8},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ues", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--duration", type=float, default=10.0, help="simulated seconds per run")
    ap.add_argument("--rate", type=float, default=1.0, help="requests per second per UE")
    ap.add_argument("--prompt-tokens", type=int, default=64)
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    cpu = rec.setup["cpu"]
    print(f"setup: {cpu}, {os.cpu_count()} vCPUs, load {os.getloadavg()[0]:.2f}; SmolLM2-135M float32 on CPU, "
          f"k = 8, {args.prompt_tokens}-token prompts, {args.rate} requests/s per UE, LTE 50 RBs, "
          f"{args.duration} simulated s per run")
    keys = ("requests", "wall_s_per_request", "grants_per_sim_s", "ns3_share", "model_share", "bridge_share",
            "other_share", "ns3_plus_model_share")
    out = {"ues": list(args.ues), **{f"{mode}_{k}": [] for mode in MODES for k in keys}, "same_traces": []}
    with tempfile.TemporaryDirectory() as tmp:
        for ues in args.ues:
            path = Path(tmp) / f"{ues}.yaml"
            path.write_text(yaml.safe_dump(scenario(ues, args.duration, args.rate, args.prompt_tokens)))
            runs = {}
            for mode, new in MODES.items():
                runs[mode] = run_session_file(path, out=Path(tmp) / f"run{ues}-{mode}", progress=False,
                                              event_grants=new, batch_quality=new)
                for k, v in measure(runs[mode], args.duration).items():
                    out[f"{mode}_{k}"].append(v)
                print(f"{ues} UE(s), {mode}: " + ", ".join(f"{k} {out[f'{mode}_{k}'][-1]}" for k in keys))
            out["same_traces"].append(same_traces(runs["before"], runs["after"]))
            i = len(out["same_traces"]) - 1
            print(f"{ues} UE(s): grants fall {out['before_grants_per_sim_s'][i] / out['after_grants_per_sim_s'][i]:.1f}x, "
                  f"wall per request {out['before_wall_s_per_request'][i] / out['after_wall_s_per_request'][i]:.2f}x "
                  f"faster; identical slots/packets/requests: {out['same_traces'][i]}")
    out["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))
    rec.save(out)


MODES = {"before": False, "after": True}


def measure(run: Path, duration_s: float) -> dict:
    meta = json.loads((run / "meta.json").read_text())
    t, n = meta["timing"], meta["requests"]
    wall = t["session_wall_s"]
    shares = {key: t[f"{key}_s"] / wall for key in ("ns3", "model", "bridge")}
    return {"requests": n, "wall_s_per_request": round(wall / max(n, 1), 4),
            "grants_per_sim_s": round(t["grants"] / duration_s, 1),
            **{f"{key}_share": round(v, 4) for key, v in shares.items()},
            "other_share": round(1 - sum(shares.values()), 4),
            "ns3_plus_model_share": round(shares["ns3"] + shares["model"], 4)}


def same_traces(a: Path, b: Path) -> bool:
    import pandas as pd

    return all(pd.read_parquet(a / f"{name}.parquet").equals(pd.read_parquet(b / f"{name}.parquet"))
               for name in ("slots", "packets", "requests"))


if __name__ == "__main__":
    main()
