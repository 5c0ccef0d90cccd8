"""Does the best split differ before, during and after a handover? Fixed splits compared by phase.

Setup: examples/split_highway.yaml (four cars at 30 m/s past three eNBs 500 m apart, A3-RSRP,
ideal RRC, RLC UM, plain ns-3: no resend) run once per (seed, fixed k). Handover times do not
depend on k (A3 decides on downlink reference signals), so every k meets the same handovers and
the same requests (same arrival times and prompts): each request is one paired comparison.

Phases, fixed before measuring, by a request's arrival relative to its UE's handovers:
``during`` from DURING_LEAD_S before a handover command to the end of that handover (a request
arriving then has its activations in flight at the command); ``before`` the WINDOW_S before that;
``after`` the WINDOW_S after the end; ``away`` the rest.

Reward per request: the agent's default (mbrl.reward.RewardConfig: 10.5 ln(PPL_clean / PPL),
floored at -10, + (L - k) / L; the paper's activation at every k). For each phase and k it reports
the mean reward with a 95 % bootstrap interval over requests, and the best k of each phase. The
in-hindsight skyline (each phase's best k) is compared with the best fixed k over all requests, the
difference per request with a paired 95 % bootstrap interval: both are chosen on the data they are
scored on, so the gain is an upper bound on what knowing the phase could buy. Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[2]))

from benchmarks import record  # noqa: E402
from benchmarks.studies.handover_split import interval, run  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DURING_LEAD_S, WINDOW_S = 0.3, 2.0
PHASES = ("before", "during", "after", "away")


def phases(requests, handovers):
    """Each request's phase (PHASES) from its arrival and its UE's handover starts and ends."""
    import numpy as np

    out = np.full(len(requests), "away", dtype=object)
    t, ues = requests["t_arrival_s"].to_numpy(), requests["ue"].to_numpy()
    for ue, events in handovers.groupby("ue"):
        starts = events.loc[events["event"] == "start", "t_ns"].to_numpy() / 1e9
        ends = events.loc[events["event"] != "start", "t_ns"].to_numpy() / 1e9  # end or failure
        mine = ues == ue
        for start, end in zip(starts, ends):
            for phase, lo, hi in (("before", start - DURING_LEAD_S - WINDOW_S, start - DURING_LEAD_S),
                                  ("after", end, end + WINDOW_S), ("during", start - DURING_LEAD_S, end)):
                out[mine & (t >= lo) & (t < hi)] = phase  # during last: it wins where windows overlap
    return out


def rewards(requests, layers: int):
    from mbrl.reward import RewardConfig

    cfg = RewardConfig()
    return cfg.a * cfg.q(requests["ppl"], requests["ppl_clean"]) + cfg.b * (layers - requests["k"]) / layers


def table(runs: dict, layers: int):
    """One row per (seed, request): its phase and its reward at every k (columns)."""
    import pandas as pd

    from cosim.outputs.traces import read_handovers, read_requests

    frames, same = [], True
    for seed in sorted({s for s, _ in runs}):
        ks = sorted(k for s, k in runs if s == seed)
        req = {k: read_requests(runs[(seed, k)]).sort_values("request").set_index("request") for k in ks}
        ho = {k: read_handovers(runs[(seed, k)]) for k in ks}
        same &= len({tuple(h.loc[h["event"] == "start", "t_ns"]) for h in ho.values()}) == 1
        ref = req[ks[0]]
        frame = pd.DataFrame({"seed": seed, "request": ref.index, "ue": ref["ue"].to_numpy(),
                              "phase": phases(ref.reset_index(), ho[ks[0]])})
        for k in ks:
            assert (req[k]["t_arrival_s"] == ref["t_arrival_s"]).all(), "requests differ between splits"
            frame[k] = rewards(req[k], layers).to_numpy()
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["same_handovers"] = same
    return out


def summarise(t, ks: list[int]) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    fixed = {k: float(t[k].mean()) for k in ks}
    best_fixed = max(fixed, key=fixed.get)
    out = {"requests": int(len(t)), "same_handovers_at_every_k": bool(t.attrs["same_handovers"]),
           "best_fixed_k": int(best_fixed), "phases": {}}
    chosen = np.empty(len(t))
    for phase in PHASES:
        sub = t[t["phase"] == phase]
        if not len(sub):
            continue
        means = {k: interval(sub[k], np.mean, rng) for k in ks}
        best = max(ks, key=lambda k: means[k][0])
        chosen[(t["phase"] == phase).to_numpy()] = sub[best].to_numpy()
        out["phases"][phase] = {"requests": int(len(sub)), "best_k": int(best),
                                "reward": {str(k): means[k] for k in ks},
                                "best_minus_best_fixed": interval(sub[best] - sub[best_fixed], np.mean, rng)}
    out["skyline_gain_per_request"] = interval(chosen - t[best_fixed].to_numpy(), np.mean, rng)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples" / "split_highway.yaml"))
    ap.add_argument("--seeds", default="1,2,3", help="scenario seeds (default 1,2,3)")
    ap.add_argument("--ks", default="0,8,16,30", help="fixed split points (default 0,8,16,30)")
    ap.add_argument("--out", default=None, help="keep the run folders here (default: a temporary folder)")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    import yaml

    from cosim.outputs.traces import REQUESTS_FILE, has_trace
    from llm_split.layers import layer_count

    layers = layer_count(yaml.safe_load(Path(args.config).read_text())["model"]["name"])
    seeds, ks = [int(s) for s in args.seeds.split(",")], [int(k) for k in args.ks.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.out or tmp)
        runs = {(s, k): (base / f"seed{s}_k{k}") for s in seeds for k in ks}
        for (s, k), path in runs.items():
            if not has_trace(path, REQUESTS_FILE):  # a kept folder from an earlier call is reused
                run(args.config, s, False, k, path)
        figures = {"config": Path(args.config).name, "seeds": seeds, "ks": ks, "layers": layers,
                   "during_lead_s": DURING_LEAD_S, "window_s": WINDOW_S, **summarise(table(runs, layers), ks)}
    print(json.dumps(figures))
    rec.save(figures)


if __name__ == "__main__":
    main()
