"""Wall seconds per simulated request of a split-inference session, for 1 and 8 UEs, and where
the wall time goes: ns-3 (the program's own work between grants), the model (head and tail
passes), the bridge (grant exchanges and record transfer: time in Simulation.advance minus
ns-3's), and the rest (simpy, codec, Python).

    python benchmarks/cosim_speed.py [--ues 1 8] [--duration 10] [--rate 1.0]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import yaml

from cosim.session import run_session_file


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
    args = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"setup: {cpu}, {os.cpu_count()} vCPUs, load {os.getloadavg()[0]:.2f}; SmolLM2-135M float32 on CPU, "
          f"k = 8, {args.prompt_tokens}-token prompts, {args.rate} requests/s per UE, LTE 50 RBs, "
          f"{args.duration} simulated s per run")
    out = {"ues": [], "requests": [], "wall_s_per_request": [], "ns3_share": [], "model_share": [],
           "bridge_share": [], "other_share": []}
    with tempfile.TemporaryDirectory() as tmp:
        for ues in args.ues:
            path = Path(tmp) / f"{ues}.yaml"
            path.write_text(yaml.safe_dump(scenario(ues, args.duration, args.rate, args.prompt_tokens)))
            run = run_session_file(path, out=Path(tmp) / f"run{ues}", progress=False)
            meta = json.loads((run / "meta.json").read_text())
            t, n = meta["timing"], meta["requests"]
            wall = t["session_wall_s"]
            shares = {key: t[f"{key}_s"] / wall for key in ("ns3", "model", "bridge")}
            other = 1 - sum(shares.values())
            print(f"{ues} UE(s): {n} requests in {wall:.1f} s wall ({wall / max(n, 1):.3f} s per request; "
                  f"model load {t['model_load_s']:.1f} s not counted); ns-3 {shares['ns3']:.0%}, "
                  f"model {shares['model']:.0%}, bridge {shares['bridge']:.1%}, other {other:.0%}; "
                  f"{t['grants']} grants")
            out["ues"].append(ues)
            out["requests"].append(n)
            out["wall_s_per_request"].append(round(wall / max(n, 1), 4))
            for key in ("ns3", "model", "bridge"):
                out[f"{key}_share"].append(round(shares[key], 4))
            out["other_share"].append(round(other, 4))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
