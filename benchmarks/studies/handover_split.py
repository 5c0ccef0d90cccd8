"""What a handover does to split inference: requests that overlapped one against the others.

Setup: examples/split_highway.yaml (four cars at 30 m/s past three eNBs 500 m apart, A3-RSRP
handover, SmolLM2 split at a fixed k, RLC UM, no deadline) run for each seed, with
requests.resend_after_handover false (plain ns-3: the uplink RLC buffers dropped at the handover
command are lost) and true (those packets resent through the new cell). For each setting it
reports, for the requests that overlapped a handover (requests.parquet column ``handovers`` > 0)
and for the others: their number, the mean latency, the share of uplink packets lost and the mean
erased fraction of the hidden state, each with a 95 % bootstrap interval over requests; and the
handovers with their median uplink interruption. Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[2]))

from benchmarks import record  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def run(config: str, seed: int, resend: bool, k: int, out: Path) -> Path:
    cmd = [sys.executable, "-m", "cosim.cli", "run", config, "--out", str(out), "--no-progress", "--seed", str(seed),
           "--set", f"requests.resend_after_handover={str(resend).lower()}", "--set", "split.policy=fixed",
           "--set", f"split.k={k}"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out


def interval(values, stat, rng, n_boot: int = 2000) -> list[float]:
    import numpy as np

    values = np.asarray(values, float)
    if len(values) < 2:
        return [float("nan")] * 3
    boots = [stat(values[rng.integers(0, len(values), len(values))]) for _ in range(n_boot)]
    return [float(stat(values)), float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))]


def group_figures(req, rng) -> dict:
    import numpy as np

    return {
        "requests": int(len(req)),
        "latency_s": interval(req["latency_s"], np.mean, rng),
        # share of the group's uplink packets lost: a ratio of sums, resampled by request
        "loss_share": interval(np.arange(len(req)), lambda i: req["packets_lost"].to_numpy()[i.astype(int)].sum()
                               / max(req["packets"].to_numpy()[i.astype(int)].sum(), 1), rng),
        "erased_fraction": interval(req["erased_fraction"], np.mean, rng),
        "resent_packets": int(req["resent_packets"].sum()),
    }


def summarise(runs: list[Path]) -> dict:
    import numpy as np
    import pandas as pd

    from cosim.outputs.handovers import handover_table
    from cosim.outputs.traces import read_requests

    req = pd.concat([read_requests(r) for r in runs], ignore_index=True)
    ho = pd.concat([handover_table(r) for r in runs], ignore_index=True)
    rng = np.random.default_rng(0)
    return {
        "handovers": int(len(ho)), "handovers_ok": int((ho["outcome"] == "ok").sum()),
        "interruption_ms_median": float(ho["interruption_ms"].median()) if len(ho) else float("nan"),
        "overlapping": group_figures(req[req["handovers"] > 0], rng),
        "others": group_figures(req[req["handovers"] == 0], rng),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples" / "split_highway.yaml"))
    ap.add_argument("--seeds", default="1,2,3", help="scenario seeds (default 1,2,3)")
    ap.add_argument("--k", type=int, default=8, help="the fixed split point (default 8)")
    ap.add_argument("--out", default=None, help="keep the run folders here (default: a temporary folder)")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.out or tmp)
        figures = {"config": Path(args.config).name, "seeds": seeds, "k": args.k}
        for resend in (False, True):
            runs = [run(args.config, s, resend, args.k, base / f"resend_{resend}_seed{s}") for s in seeds]
            figures["resend" if resend else "plain"] = summarise(runs)
            print(f"resend {resend}: {json.dumps(figures['resend' if resend else 'plain'])}", file=sys.stderr)
    print(json.dumps(figures))
    rec.save(figures)


if __name__ == "__main__":
    main()
