"""The trained split agent deployed in live co-simulations, against every fixed split and the SINR table.

Setup: the agent of a `layersplit train` run folder (--agent; default: trains
examples/mbrl_default.yaml into a temporary folder, model-free PPO off). For each training trace
variant (mbrl.traces.DEFAULT_VARIANTS: the cell, channel and UEs the agent was trained on) and
each seed (default 3-7: seed 3 is the held-out trace seed, 4-7 were never recorded), one live
split session (`layersplit run` with model and requests sections: Poisson requests per UE,
prompts and deadline as in the training evaluator) runs per policy:

- the agent;
- every fixed split k = 0..L (--fixed: all, or a list);
- the SINR table (cosim's ``sinr_table`` policy) fitted on the agent's train states alone:
  mbrl.baselines.sinr_table, one threshold on the mean uplink SINR and the best k each side of it
  by real reward (the live policy averages the last 100 ms of SINR estimates, the training
  feature the last 200 ms).

The same seed gives every policy the same mobility, fading and arrivals; the packets then differ
with the UE's compute time at each k. Each request's reward is the training reward (mbrl.reward)
of its measured perplexity and split.

The sessions are independent tasks on an executor (cosim.sweep.executors, as a sweep's points):
``--executor local`` (a process pool of ``--workers``, the default), ``ray`` (``--address``: a
cluster, whose nodes must all see the agent folder's path; none: a local Ray) or ``serial`` (in
this process); torch threads ``--threads`` per session whatever the executor.

Per variant and pooled, each policy's mean reward per request with the half-width of its 95 %
interval (normal approximation over requests; requests of one session share a channel, so the
interval is somewhat optimistic), its mean k and the share of requests with lost packets.
``agent_apart`` says whether the agent's interval lies wholly above every other policy's.
``agent_paired``: per policy the agent's advantage over the same requests (same variant, seed,
UE and arrival time), mean and 95 % half-width, a far tighter test than disjoint intervals;
``agent_paired_above_every_other`` whether each of those intervals lies above 0 (``paired_closest``:
the policy whose interval comes nearest). Requests of one session share its channel, so
``session_ci95`` gives the stricter interval over session means (one per variant and seed, t
distribution).
``fates_oracle``: each request at the fixed split that did best on it, out of reach for a causal
policy: the most any policy could gain over the fixed splits on these channels.
--out writes every request (policy, variant, seed, k, ppl, reward...) as Parquet, which
--summarise reads back (one file or several, pooled) to print the same summaries without running
anything.
Last line: one JSON object.
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

from cosim.sweep.executors import EXECUTORS, map_tasks, pin_threads  # noqa: E402


def scenario(variant: str, seed: int, split: dict, ev, deadline_ms: float, rate: float, duration_s: float) -> dict:
    from mbrl.traces import DEFAULT_VARIANTS

    sc = copy.deepcopy(DEFAULT_VARIANTS[variant])
    sc.update(name=f"live_{variant}", seed=seed, duration_s=duration_s, split=split,
              model={"name": ev.model, "wire_dtype": ev.wire_dtype, "fill": ev.fill, "sink_row": ev.sink_row,
                     "protect": list(ev.protect), "interleave": ev.interleave},
              requests={"rate_per_s": rate, "prompt_tokens": ev.prompt_tokens, "windows": ev.n_windows,
                        "corpus": ev.corpus, "deadline_ms": deadline_ms},
              ue_device="phone", edge_server={"capacity": 1, "device": "edge-gpu"})
    return sc


def live_session(task: dict):
    """One live session (a task of cosim.sweep.executors, run in a temporary folder): its requests
    table. With ``task["states_deadline_ms"]``, also each request's decision state
    (mbrl.request_model.decision_states with that deadline) as columns s0, s1, ..."""
    import pandas as pd
    import yaml

    from cosim.session.runner import run_session_file

    with tempfile.TemporaryDirectory(prefix="agent_live_") as tmp:
        spec = Path(tmp) / f"{task['name']}.yaml"
        spec.write_text(yaml.safe_dump(task["scenario"]))
        run = run_session_file(spec, out=Path(tmp) / "run", progress=False)
        req = pd.read_parquet(run / "requests.parquet")
        if task.get("states_deadline_ms") is None:
            return req
        from mbrl.request_model import decision_states

        states = decision_states(run, req, task["states_deadline_ms"])
        return req.assign(**{f"s{i}": states[:, i] for i in range(states.shape[1])})


def policies(agent: Path, cfg, fixed: str, L: int) -> tuple[dict, dict]:
    """{name: split section} of every policy compared, and the fitted SINR table's rows."""
    from mbrl import baselines as B
    from mbrl.dataset import prepare

    ds = prepare(cfg.traces, cfg.evaluator, table_cfg=cfg.table)  # cached by the agent's training
    table, k0 = B.sinr_table(ds.train.feats, B.heldout_q(ds.train_table, cfg.reward), cfg.reward)
    ks = range(L + 1) if fixed == "all" else [int(k) for k in fixed.split(",")]
    bad = [k for k in ks if not 0 <= k <= L]
    if bad:
        raise SystemExit(f"--fixed: {bad} are not splits of the agent's model (0..{L})")
    out = {"agent": {"policy": "agent", "agent": str(agent)},
           "sinr_table": {"policy": "sinr_table", "k": k0, "table": table}}
    out.update({f"fixed_k{k}": {"policy": "fixed", "k": k} for k in ks})
    return out, {"table": table, "k_before_sounding": k0}


PAIR_KEY = ["variant", "seed", "ue", "t_arrival_s"]  # the same request under every policy


def summarise(df) -> dict:
    """Per policy: mean reward, its 95 % half-width, mean k, damaged share, requests; whether the
    agent's interval lies above every other policy's; and per policy the agent's paired
    advantage (mean of agent - policy over the same requests, with its 95 % half-width)."""
    from mbrl.baselines import ci95

    rows = {name: {"mean_reward": round(float(g["reward"].mean()), 4), "ci95": round(ci95(g["reward"]), 4),
                   "mean_k": round(float(g["k"].mean()), 2), "damaged_share": round(float(g["damaged"].mean()), 4),
                   "requests": int(len(g))}
            for name, g in df.groupby("policy", sort=False)}
    a = rows["agent"]
    others = [n for n in rows if n != "agent"]
    best_other = max(others, key=lambda n: rows[n]["mean_reward"])
    apart = all(a["mean_reward"] - a["ci95"] > rows[n]["mean_reward"] + rows[n]["ci95"] for n in others)
    mine = df[df["policy"] == "agent"].set_index(PAIR_KEY)["reward"]
    paired = {}
    for n in others:
        d = (mine - df[df["policy"] == n].set_index(PAIR_KEY)["reward"]).dropna()
        by_session = d.groupby(level=["variant", "seed"]).mean()
        paired[n] = {"advantage": round(float(d.mean()), 4), "ci95": round(ci95(d), 4), "pairs": int(len(d)),
                     "session_ci95": round(t_ci95(by_session), 4), "sessions": int(len(by_session))}
    closest = min(paired, key=lambda n: paired[n]["advantage"] - paired[n]["ci95"])
    return {"policies": rows, "best_other": best_other, "agent_apart": apart, "agent_paired": paired,
            "agent_paired_above_every_other": paired[closest]["advantage"] - paired[closest]["ci95"] > 0,
            "paired_closest": closest, "fates_oracle": fates_oracle(df, rows)}


def t_ci95(values) -> float:
    """Half-width of the 95 % t interval of the mean of a few values (e.g. one mean per session,
    which are independent where a session's requests share its channel)."""
    import numpy as np

    from llm_split.uncertainty import t975

    v = np.asarray(values, float)
    if len(v) < 2:
        return float("nan")
    return float(t975(len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))


def fates_oracle(df, rows: dict) -> dict:
    """Each request served at the fixed split that did best on it (of those compared): it knows
    the request's own packet fates, so no causal policy can reach it; whether even it has an
    interval apart from the best fixed split's says if a live win is possible on these channels."""
    from mbrl.baselines import ci95

    fixed = df[df["policy"].str.startswith("fixed_k")]
    best = fixed.pivot_table(index=PAIR_KEY, columns="policy", values="reward").dropna().max(axis=1)
    top = max((n for n in rows if n.startswith("fixed_k")), key=lambda n: rows[n]["mean_reward"])
    lo = float(best.mean()) - ci95(best)
    return {"mean_reward": round(float(best.mean()), 4), "ci95": round(ci95(best), 4), "requests": int(len(best)),
            "apart_from_best_fixed": bool(lo > rows[top]["mean_reward"] + rows[top]["ci95"])}


def run_sessions(args, cfg):
    """Trains the agent if none is given, runs every (variant, seed, policy) session; returns the
    requests (one row each, with policy, variant, seed, reward) and the setup."""
    import pandas as pd

    from mbrl.config import with_overrides
    from mbrl.train import metrics_n_layers, train

    rate = args.rate or 1000.0 / cfg.traces.period_ms
    tmp = Path(tempfile.mkdtemp(prefix="agent_live_"))
    agent = Path(args.agent).resolve() if args.agent else tmp / "agent"  # workers may start elsewhere
    if not args.agent:
        train(with_overrides(cfg, {"model_free": {"enabled": False}}), out=agent)
    m = json.loads((agent / "metrics.json").read_text())
    L = metrics_n_layers(m)
    compared, sinr = policies(agent, cfg, args.fixed, L)
    print(f"agent {agent} (replay held-out frac of the skyline gap {m['comparison']['mbrl_ppo']['frac_skyline']:.3f}); "
          f"SINR table fitted on the train states: {sinr}; variants {list(cfg.traces.variants)}; seeds {args.seeds}; "
          f"{rate} requests/s per UE, {args.duration} s; {len(compared)} policies")
    seeds = [int(s) for s in args.seeds.split(",")]
    tasks = [{"name": f"{variant}_{seed}_{name}", "variant": variant, "seed": seed, "policy": name,
              "scenario": scenario(variant, seed, split, cfg.evaluator, cfg.traces.deadline_ms, rate, args.duration)}
             for variant in cfg.traces.variants for seed in seeds for name, split in compared.items()]
    rows, t0 = [None] * len(tasks), time.perf_counter()

    def gather(i: int, req) -> None:
        t = tasks[i]
        q = cfg.reward.q(req["ppl"], req["ppl_clean"])
        rows[i] = req.assign(policy=t["policy"], variant=t["variant"], seed=t["seed"],
                             reward=cfg.reward.reward(q, req["k"], L), damaged=req["packets_lost"] > 0)
        print(f"  {t['variant']} seed {t['seed']} {t['policy']}: {len(req)} requests, mean reward "
              f"{rows[i]['reward'].mean():.3f}, mean k {req['k'].mean():.1f}, damaged {rows[i]['damaged'].mean():.0%} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)

    pin_threads(args.threads)  # serial: this process; local and ray: each worker (cosim.sweep.executors)
    map_tasks(live_session, tasks, args.executor, args.workers, args.address, args.threads,
              names=[t["name"] for t in tasks], on_result=gather)
    setup = {"agent": str(agent), "seeds": seeds, "rate_per_s": rate, "duration_s": args.duration,
             "sinr_table": sinr, "wall_s": round(time.perf_counter() - t0, 1)}
    return pd.concat(rows, ignore_index=True), setup


def report(df, setup: dict) -> dict:
    """Prints each variant's and the pooled summary; returns them as one object."""
    variants = list(df["variant"].unique())
    out = {"setup": {"variants": variants, **setup}, "pooled": summarise(df),
           **{v: summarise(g) for v, g in df.groupby("variant", sort=False)}}
    for part in ["pooled", *variants]:
        s = out[part]
        top = sorted(s["policies"].items(), key=lambda kv: -kv[1]["mean_reward"])[:4]
        a, pair, orc = s["policies"]["agent"], s["agent_paired"][s["best_other"]], s["fates_oracle"]
        close = s["agent_paired"][s["paired_closest"]]
        print(f"{part}: " + ", ".join(f"{n} {r['mean_reward']:.2f} +- {r['ci95']:.2f}" for n, r in top)
              + f"; agent {a['mean_reward']:.2f} +- {a['ci95']:.2f}, apart from every other: {s['agent_apart']}; "
              f"paired advantage over {s['best_other']}: {pair['advantage']:.2f} +- {pair['ci95']:.2f}, "
              f"above every other's: {s['agent_paired_above_every_other']} (closest {s['paired_closest']}: "
              f"{close['advantage']:.2f} +- {close['ci95']:.2f}, over sessions +- {close['session_ci95']:.2f}); "
              f"fates oracle {orc['mean_reward']:.2f} +- {orc['ci95']:.2f}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("--config", default=str(root / "examples" / "mbrl_default.yaml"))
    ap.add_argument("--agent", help="run folder of `layersplit train` (default: train one now)")
    ap.add_argument("--seeds", default="3,4,5,6,7")
    ap.add_argument("--fixed", default="all", help="fixed splits to compare: all (0..L) or a list, e.g. 0,9")
    ap.add_argument("--rate", type=float, help="requests per second per UE, Poisson (default: the training "
                    "probes' rate, 1000 / traces.period_ms)")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--executor", choices=EXECUTORS, default="local", help="where the sessions run (module doc)")
    ap.add_argument("--workers", type=int, help="local: processes; ray: CPUs of a local Ray (default: all CPUs)")
    ap.add_argument("--address", help="ray: the cluster to join (auto, ray://HEAD:10001)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per session")
    ap.add_argument("--out", help="write every request as Parquet here")
    ap.add_argument("--summarise", metavar="PARQUET", nargs="+",
                    help="run nothing: summarise the requests earlier --out runs wrote (several: pooled, e.g. "
                    "runs over other seeds)")
    args = ap.parse_args()

    import pandas as pd

    from mbrl.config import load_config

    if args.summarise:
        df = pd.concat([pd.read_parquet(p) for p in args.summarise], ignore_index=True)
        setup = {"requests_from": args.summarise}
    else:
        df, setup = run_sessions(args, load_config(args.config))
    if args.out:
        df.to_parquet(args.out)
    print(json.dumps(report(df, setup)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
