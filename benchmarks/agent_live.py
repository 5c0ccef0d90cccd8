"""The trained split agent deployed in live co-simulations, against fixed splits.

Setup: the agent of a `layersplit train` run folder (--agent; default: trains
examples/mbrl_default.yaml into a temporary folder, model-free PPO off). For each training trace
variant (mbrl.traces.DEFAULT_VARIANTS: the cell, channel and UEs the agent was trained on) and
each seed (default 3 and 4: seed 3 is the held-out trace seed, 4 was never recorded), one live
split session (`layersplit run` with model and requests sections: Poisson requests per UE,
prompts and deadline as in the training evaluator) runs per policy: the agent and the two best
fixed splits of the training run's held-out comparison. The same seed gives every policy the same mobility,
fading and arrivals; the packets then differ with the UE's compute time at each k. Each
request's reward is the training reward (mbrl.reward) of its measured perplexity and split.

The sessions are independent tasks on an executor (cosim.executors, as a sweep's points):
``--executor local`` (a process pool of ``--workers``, the default), ``ray`` (``--address``: a
cluster, whose nodes must all see the agent folder's path; none: a local Ray) or ``serial`` (in
this process); torch threads ``--threads`` per session whatever the executor.

Last line: one JSON object: per policy the mean reward over all requests, its mean k, the share
of requests with lost packets, and the requests counted.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cosim.executors import EXECUTORS, map_tasks, pin_threads  # noqa: E402


def scenario(variant: str, seed: int, split: dict, ev, deadline_ms: float, rate: float, duration_s: float) -> dict:
    from mbrl.traces import DEFAULT_VARIANTS

    sc = copy.deepcopy(DEFAULT_VARIANTS[variant])
    sc.update(name=f"live_{variant}", seed=seed, duration_s=duration_s, split=split,
              model={"name": ev.model, "wire_dtype": ev.wire_dtype, "fill": ev.fill, "sink_row": ev.sink_row},
              requests={"rate_per_s": rate, "prompt_tokens": ev.prompt_tokens, "windows": ev.n_windows,
                        "corpus": ev.corpus, "deadline_ms": deadline_ms},
              ue_device="phone", edge_server={"capacity": 1, "device": "edge-gpu"})
    return sc


def live_session(task: dict):
    """One live session (a task of cosim.executors, run in a temporary folder): its requests table."""
    import pandas as pd
    import yaml

    from cosim.session import run_session_file

    with tempfile.TemporaryDirectory(prefix="agent_live_") as tmp:
        spec = Path(tmp) / f"{task['name']}.yaml"
        spec.write_text(yaml.safe_dump(task["scenario"]))
        run = run_session_file(spec, out=Path(tmp) / "run", progress=False)
        return pd.read_parquet(run / "requests.parquet")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("--config", default=str(root / "examples" / "mbrl_default.yaml"))
    ap.add_argument("--agent", help="run folder of `layersplit train` (default: train one now)")
    ap.add_argument("--seeds", default="3,4")
    ap.add_argument("--rate", type=float, help="requests per second per UE, Poisson (default: the training "
                    "probes' rate, 1000 / traces.period_ms)")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--executor", choices=EXECUTORS, default="local", help="where the sessions run (module doc)")
    ap.add_argument("--workers", type=int, help="local: processes; ray: CPUs of a local Ray (default: all CPUs)")
    ap.add_argument("--address", help="ray: the cluster to join (auto, ray://HEAD:10001)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per session")
    args = ap.parse_args()

    import pandas as pd

    from mbrl.config import load_config, with_overrides
    from mbrl.train import metrics_n_layers, train

    cfg = load_config(args.config)
    rate = args.rate or 1000.0 / cfg.traces.period_ms
    tmp = Path(tempfile.mkdtemp(prefix="agent_live_"))
    agent = Path(args.agent).resolve() if args.agent else tmp / "agent"  # workers may start elsewhere
    if not args.agent:
        m = train(with_overrides(cfg, {"model_free": {"enabled": False}}), out=agent)
    m = json.loads((agent / "metrics.json").read_text())
    L = metrics_n_layers(m)
    fixed = sorted((n for n in m["comparison"] if n.startswith("fixed_k")), key=lambda n: -m["comparison"][n]["mean_reward"])
    policies = {"agent": {"policy": "agent", "agent": str(agent)}}
    policies.update({n: {"policy": "fixed", "k": int(n.removeprefix("fixed_k"))} for n in fixed[:2]})
    print(f"agent {agent} (replay held-out frac {m['comparison']['mbrl_ppo']['frac_oracle']:.3f}); variants "
          f"{list(cfg.traces.variants)}; seeds {args.seeds}; {rate} requests/s per UE, {args.duration} s")
    seeds = [int(s) for s in args.seeds.split(",")]
    tasks = [{"name": f"{variant}_{seed}_{name}", "variant": variant, "seed": seed, "policy": name,
              "scenario": scenario(variant, seed, split, cfg.evaluator, cfg.traces.deadline_ms, rate, args.duration)}
             for variant in cfg.traces.variants for seed in seeds for name, split in policies.items()]
    rows, t0 = [None] * len(tasks), time.perf_counter()

    def gather(i: int, req) -> None:
        t = tasks[i]
        q = cfg.reward.q(req["ppl"], req["ppl_clean"])
        rows[i] = req.assign(policy=t["policy"], reward=cfg.reward.reward(q, req["k"], L),
                             damaged=req["packets_lost"] > 0)
        print(f"  {t['variant']} seed {t['seed']} {t['policy']}: {len(req)} requests, mean reward "
              f"{rows[i]['reward'].mean():.3f}, mean k {req['k'].mean():.1f}, damaged {rows[i]['damaged'].mean():.0%} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)

    pin_threads(args.threads)  # serial: this process; local and ray: each worker (cosim.executors)
    map_tasks(live_session, tasks, args.executor, args.workers, args.address, args.threads,
              names=[t["name"] for t in tasks], on_result=gather)
    df = pd.concat(rows)
    out = {name: {"mean_reward": round(float(g["reward"].mean()), 4), "mean_k": round(float(g["k"].mean()), 2),
                  "damaged_share": round(float(g["damaged"].mean()), 4), "requests": int(len(g))}
           for name, g in df.groupby("policy", sort=False)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
