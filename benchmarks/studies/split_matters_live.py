"""Where does the split matter, live? The skyline's gain over the best fixed split in co-simulations.

Setup: SmolLM2-135M with true endpoints (split.true_endpoints: k = 0 sends token ids, k = L runs
the whole model on the UE), LTE, RLC UM, 64-token prompts about once a second per UE, a 100 ms
target on the time to the first token, the phone profile on the UE and one edge GPU
(capacity 1) shared by every UE. Each setting runs once per fixed split choice and seed; the
same seed gives every choice the same mobility, fading and arrivals. The choices: k = 0 (ids),
k = 4 and 15 with float16 or int4 activations, k = L (nothing on the air).

The settings, chosen by physics before measuring:

- ``walking``: one pedestrian on a random walk 50-250 m from one eNB, EPA fading: the channel
  moves slowly, so a good choice should hold for many requests;
- ``highway``: examples/split_highway.yaml, four cars at 30 m/s across three eNBs with A3
  handover: the SINR swings by tens of dB and handovers drop queued uplink packets;
- ``crowd_8`` and ``crowd_32``: 8 or 32 standing UEs 30-250 m from one eNB, contending for its
  uplink and for the one edge server.

Every request is scored by each named objective (mbrl.reward.OBJECTIVES: ``paper``, ``latency``,
``latency_energy``) from its row of requests.parquet (RewardConfig.of_requests), with one change:
a perplexity below the request's clean perplexity counts as clean (int4 rounding or erasure that
happened to help one prompt is luck, which the skyline would otherwise pick). Per setting and
objective: the best fixed choice (highest mean reward), the skyline (each request at the choice
that did best on it, knowing its outcome: no causal policy reaches it), and the skyline's gain
over the best fixed choice per request, with its 95 % bootstrap interval over requests
(mbrl.stats.adaptive_gain_measurable; requests of one run share its channel, so the interval is
somewhat optimistic).

A live adaptive policy's share of that gain: cosim's ``sinr_table`` policy offloading the ids
(k = 0) while the UE's mean uplink SINR estimate is at least a threshold and keeping the whole
model on the UE (k = L) below it, for each threshold in THRESHOLDS_DB, and its two limits (always
the ids, never: the fixed k = 0 and k = L). The threshold is chosen on the first seed alone
(highest mean reward); on the other seeds its share is
(policy - best fixed) / (skyline - best fixed), with the best fixed choice and the skyline taken on
those seeds themselves (the strongest reference), and a 95 % bootstrap interval over requests; no
share where the skyline's gain there is not measurable.

A learned live policy's share, scored the same way: per setting and objective a reward model
(mbrl.request_model: per split an ensemble of small MLPs at mbrl.surrogate's default settings, no
tuning) fitted on the first seed's requests at k = 0 (ids), 4 and 15 (int4) and L, each scored by
the objective after its run (so the UE radio energy counts), from what the UE knew when it chose
(its recent slots and packet fates, its queue and the edge's load); on the other seeds it runs
live as ``split: {policy: reward_model}`` with int4 activations, taking per request the split
whose predicted reward less ``pessimism`` ensemble spreads is highest. The pessimism (PESSIMISM),
or instead the best fixed choice, is chosen on the first seed alone by cross-fitting (cross_fit),
as the threshold is. It learns from runs of fixed splits and then meets the packet history its
own mix of splits makes. Seeds 2 and 3 served while this policy was built (greedy on the mean,
then one spread of pessimism without the cross-fit choice, both scored there: docs/metrics.md);
the default test seeds 4 and 5 were not run before the record. The skyline mixes runs: a request's radio
energy includes the connected tail its own run's other requests kept alive, so energy mixes are an
estimate. Per choice: mean time
to the first token, UE energy, lost packets. Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import record  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TTFT_TARGET_MS = 100.0
OBJECTIVES = ("paper", "latency", "latency_energy")
PAIR_KEY = ["setting", "seed", "ue", "t_arrival_s"]  # the same request under every choice
THRESHOLDS_DB = (0, 5, 10, 15)  # the adaptive policy's offloading thresholds on the mean uplink SINR


def _standing(n: int) -> list:
    return [{"count": n, "placement": {"kind": "disc", "radius_min_m": 30, "radius_max_m": 250}}]


SETTINGS = {
    "walking": ("split_lte.yaml", {"duration_s": 30, "ue_groups": [
        {"count": 1, "placement": {"kind": "disc", "radius_min_m": 50, "radius_max_m": 250},
         "mobility": {"kind": "random_walk", "speed_min_mps": 1, "speed_max_mps": 2, "bounds": [-250, 250, -250, 250]}}]}),
    "highway": ("split_highway.yaml", {}),
    "crowd_8": ("split_lte.yaml", {"duration_s": 10, "ue_groups": _standing(8)}),
    "crowd_32": ("split_lte.yaml", {"duration_s": 10, "ue_groups": _standing(32)}),
}


def choices(n_layers: int) -> dict:
    """{name: (k, wire dtype)} of the fixed split choices compared."""
    out = {"k0_ids": (0, "float16")}
    for k in (4, 15):
        out.update({f"k{k}_float16": (k, "float16"), f"k{k}_int4": (k, "int4")})
    out[f"k{n_layers}_local"] = (n_layers, "float16")
    return out


def adaptive_splits(n_layers: int) -> dict:
    """{name: split section} of the live adaptive policies: ids above a SINR threshold, else local."""
    return {f"sinr_{t}db": {"policy": "sinr_table", "k": n_layers, "table": [[t, 0], [-200, n_layers]],
                            "true_endpoints": True} for t in THRESHOLDS_DB}


def scenario(setting: str, seed: int, split: dict, wire: str = "float16") -> dict:
    import yaml

    base, changes = SETTINGS[setting]
    sc = yaml.safe_load((ROOT / "examples" / base).read_text())
    sc.update(copy.deepcopy(changes), seed=seed)
    sc["model"] = {**sc["model"], "wire_dtype": wire}
    sc["requests"] = {**sc["requests"], "ttft_target_ms": TTFT_TARGET_MS}
    sc["split"] = split
    return sc


def task(setting: str, seed: int, choice: str, split: dict, wire: str = "float16", states: bool = False) -> dict:
    """One run; ``states``: with each request's decision state (the learned policy's training data)."""
    sc = {**scenario(setting, seed, split, wire), "name": f"{setting}_{choice}"}
    deadline = sc["requests"].get("deadline_ms") or sc["transfer"]["loss_timeout_ms"]
    return {"name": f"{setting}_{choice}", "setting": setting, "seed": seed, "choice": choice, "scenario": sc,
            "deadline_ms": deadline, "states_deadline_ms": deadline if states else None}


def learned_family(n_layers: int) -> dict:
    """{choice: k} the learned policy chooses between per request; one wire precision per run, so int4."""
    return {"k0_ids": 0, "k4_int4": 4, "k15_int4": 15, f"k{n_layers}_local": n_layers}


PESSIMISM = (0.0, 1.0, 2.0, 4.0)  # the learned policy's candidates, in ensemble spreads


def _states(rows) -> np.ndarray:
    from mbrl.features import N_FEATURES
    from mbrl.request_model import KNOWN

    return rows[[f"s{i}" for i in range(N_FEATURES + len(KNOWN))]].to_numpy(np.float32, copy=True)


def _fit(rows, objective: str, n_layers: int, deadline_ms: float, pessimism: float = 1.0):
    from mbrl.request_model import RequestModel
    from mbrl.reward import named

    return RequestModel.fit(_states(rows), rows["k"].to_numpy(), rows[f"r_{objective}"].to_numpy(),
                            learned_family(n_layers).values(), n_layers, deadline_ms,
                            {"objective": objective, **dataclasses.asdict(named(objective))}, pessimism=pessimism)


def cross_fit(rows, objective: str, n_layers: int, deadline_ms: float) -> dict:
    """Held-out mean reward on the train seed of each candidate: the reward model at each pessimism
    level, and the fixed choice best on the other half. Two folds (the runs' first and second
    halves in time); every request was run at every split, so a pick's reward is known, and each
    request is judged from the state of each run it appears in (their packet histories differ)."""
    col = f"r_{objective}"
    table = rows.pivot_table(index=PAIR_KEY, columns="k", values=col)
    late = (rows["t_arrival_s"] >= rows["t_arrival_s"].median()).to_numpy()
    got: dict = {"fixed": [], **{b: [] for b in sorted(PESSIMISM, reverse=True)}}  # ties: the more cautious
    for held in (False, True):
        train, test = rows[late != held], rows[late == held]
        outcomes = table.reindex(test.set_index(PAIR_KEY).index).to_numpy()
        model = _fit(train, objective, n_layers, deadline_ms)
        for b in PESSIMISM:
            model.pessimism = b
            got[b].append(outcomes[np.arange(len(test)), table.columns.get_indexer(model.best_k(_states(test)))])
        got["fixed"].append(outcomes[:, table.columns.get_loc(train.groupby("k")[col].mean().idxmax())])
    return {str(c): float(np.nanmean(np.concatenate(v))) for c, v in got.items()}


def fit_learned(df, setting: str, objective: str, train_seed: int, n_layers: int, deadline_ms: float,
                path: Path) -> dict:
    """Chooses the learned policy on the train seed (cross_fit: a pessimism level, or the best
    fixed choice if no level beats it) and saves its reward model, fitted on the whole seed, to
    ``path``. Returns the choice (``policy``: the choice name it runs as) and the cross-fit scores."""
    fam = learned_family(n_layers)
    rows = df[(df["setting"] == setting) & (df["seed"] == train_seed) & df["choice"].isin(list(fam))]
    scores = cross_fit(rows, objective, n_layers, deadline_ms)
    pick = max(scores, key=scores.get)
    if pick == "fixed":
        best = rows.groupby("choice")[f"r_{objective}"].mean().idxmax()
        return {"policy": str(best), "selected": "fixed", "cross_fit": scores}
    _fit(rows, objective, n_layers, deadline_ms, float(pick)).save(path)
    return {"policy": f"learned_{objective}", "selected": f"pessimism {pick}", "cross_fit": scores}


def live_session(task: dict):
    """One run (a task of cosim.sweep.executors): benchmarks.agent_live's, its requests labelled."""
    from benchmarks.agent_live import live_session as run

    return run(task).assign(setting=task["setting"], seed=task["seed"], choice=task["choice"])


def score(req, n_layers: int):
    """requests with one reward column per objective (damage that helped counts as none)."""
    from mbrl.reward import named

    req = req.assign(ppl=req[["ppl", "ppl_clean"]].max(axis=1))
    return req.assign(**{f"r_{o}": named(o).of_requests(req, n_layers) for o in OBJECTIVES})


def gains(df, objective: str) -> dict:
    """Best fixed choice, skyline and the skyline's gain per request (mean, 95 % interval)."""
    from mbrl.stats import adaptive_gain_measurable

    table = df[df["fixed"]].pivot_table(index=PAIR_KEY, columns="choice", values=f"r_{objective}").dropna()
    means = table.mean()
    best = str(means.idxmax())
    sky = table.max(axis=1)
    g = adaptive_gain_measurable(sky.to_numpy(), table[best].to_numpy())
    picks = table.idxmax(axis=1).value_counts(normalize=True)
    return {"best_fixed": best, "best_fixed_reward": round(float(means[best]), 4),
            "skyline_reward": round(float(sky.mean()), 4), "gain": round(g.point, 4), "gain_lo": round(g.lo, 4),
            "gain_hi": round(g.hi, 4), "measurable": g.measurable, "requests": int(len(table)),
            "skyline_picks": {str(c): round(float(s), 3) for c, s in picks.items()}}


def threshold_pick(df, objective: str, train_seed: int, family: list) -> str:
    """The adaptive policy of ``family`` (choice names: every threshold, its limits included) best on ``train_seed``."""
    train = df[(df["seed"] == train_seed) & df["choice"].isin(family)]
    return str(train.groupby("choice")[f"r_{objective}"].mean().idxmax())


def adaptive_share(df, objective: str, train_seed: int, pick: str) -> dict:
    """Policy ``pick`` (a choice name) scored on the seeds after ``train_seed``: its mean reward, the
    best fixed choice's and the skyline's there, and its share of the gap with a paired bootstrap interval."""
    from mbrl.stats import adaptive_gain_measurable

    col = f"r_{objective}"
    test = df[(df["seed"] != train_seed) & (df["fixed"] | (df["choice"] == pick))]
    table = test.pivot_table(index=PAIR_KEY, columns="choice", values=col).dropna()
    fixed = table[[c for c in table.columns if c in set(test.loc[test["fixed"], "choice"])]]
    best = fixed.mean().idxmax()
    pol, bf, sky = table[pick].to_numpy(), fixed[best].to_numpy(), fixed.max(axis=1).to_numpy()
    out = {"policy": pick, "policy_reward": round(float(pol.mean()), 4), "best_fixed": str(best),
           "best_fixed_reward": round(float(bf.mean()), 4), "skyline_reward": round(float(sky.mean()), 4),
           "requests": int(len(table)), "share": None, "share_lo": None, "share_hi": None}
    if not adaptive_gain_measurable(sky, bf).measurable:
        return out
    draws = np.random.default_rng(0).integers(len(pol), size=(2000, len(pol)))
    gaps = sky[draws].mean(1) - bf[draws].mean(1)
    shares = (pol[draws].mean(1) - bf[draws].mean(1)) / np.where(gaps > 0, gaps, np.nan)
    lo, hi = np.nanpercentile(shares, [2.5, 97.5])
    share = (pol.mean() - bf.mean()) / (sky.mean() - bf.mean())
    return {**out, "share": round(float(share), 4), "share_lo": round(float(lo), 4), "share_hi": round(float(hi), 4)}


def per_choice(df) -> dict:
    g = df.groupby("choice")
    return {str(c): {"ttft_ms": round(1000 * float(x["ttft_s"].mean()), 2),
                     "ue_energy_j": round(float((x["ue_compute_j"] + x["ue_radio_j"]).mean()), 4),
                     "met_target": round(float(x["met_target"].mean()), 3),
                     "lost_packet_share": round(float(x["packets_lost"].sum() / max(x["packets"].sum(), 1)), 4),
                     "requests": int(len(x))} for c, x in g}


def run_all(tasks: list, workers: int):
    from cosim.sweep.executors import map_tasks

    return map_tasks(live_session, tasks, "local", workers, threads=1,
                     names=[f"{t['setting']} seed {t['seed']} {t['choice']}" for t in tasks],
                     on_result=lambda i, r: print(f"  {tasks[i]['setting']} seed {tasks[i]['seed']} "
                                                  f"{tasks[i]['choice']}: {len(r)} requests", flush=True))


def learned_runs(df, settings: list, seeds: list, n_layers: int, folder: Path, workers: int) -> tuple[list, dict]:
    """Chooses and fits each setting's and objective's learned policy on the first seed and runs
    it live on the others (none where the choice is a fixed split: its runs exist). Returns the
    runs' requests and {setting: {objective: the choice}}."""
    tasks, chosen = [], {}
    for s in settings:
        deadline = task(s, seeds[0], "", {})["deadline_ms"]
        for o in OBJECTIVES:
            path = folder / f"{s}_{o}.pt"
            c = chosen.setdefault(s, {})[o] = fit_learned(df, s, o, seeds[0], n_layers, deadline, path)
            print(f"  {s} {o}: {c['selected']} (cross-fit on seed {seeds[0]}: "
                  f"{', '.join(f'{k} {v:.4f}' for k, v in c['cross_fit'].items())})", flush=True)
            if c["selected"] != "fixed":
                split = {"policy": "reward_model", "agent": str(path), "k": n_layers, "true_endpoints": True}
                tasks += [task(s, seed, c["policy"], split, "int4") for seed in seeds[1:]]
    print(f"{len(tasks)} runs of the learned policy, fitted on seed {seeds[0]}", flush=True)
    return (run_all(tasks, workers) if tasks else []), chosen


def report(out: dict, s: str, seeds: list) -> None:
    print(f"{s}:")
    for c, x in out["settings"][s]["choices"].items():
        print(f"  {c:16s} ttft {x['ttft_ms']:7.1f} ms  UE {x['ue_energy_j']:.3f} J  met {x['met_target']:.2f}  "
              f"lost {x['lost_packet_share']:.3f}  ({x['requests']} requests)")
    for o in OBJECTIVES:
        r = out["settings"][s][o]
        print(f"  {o:15s} best fixed {r['best_fixed']} {r['best_fixed_reward']:.3f}, skyline {r['skyline_reward']:.3f}, "
              f"gain {r['gain']:.4f} [{r['gain_lo']:.4f}, {r['gain_hi']:.4f}] per request")
        for kind in ("adaptive", "learned"):
            a = out["settings"][s].get(kind, {}).get(o)
            if a:
                print(f"  {'':15s} {kind} {a['policy']} (chosen or fitted on seed {seeds[0]}) {a['policy_reward']:.3f} "
                      f"on the other seeds against best fixed {a['best_fixed_reward']:.3f}, skyline "
                      f"{a['skyline_reward']:.3f}: share {a['share']} [{a['share_lo']}, {a['share_hi']}]")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", default=",".join(SETTINGS), help=f"of {', '.join(SETTINGS)}")
    ap.add_argument("--seeds", default="1,4,5", help="the first: where the adaptive policies are chosen or fitted")
    ap.add_argument("--workers", type=int, default=2, help="runs in parallel (a local process pool)")
    ap.add_argument("--out", help="also write every request (setting, seed, choice, rewards...) to this Parquet file")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    import pandas as pd

    from llm_split.layers import layer_count

    L = layer_count("smollm2-135m")
    settings = [s for s in args.settings.split(",") if s]
    bad = [s for s in settings if s not in SETTINGS]
    if bad:
        raise SystemExit(f"--settings: {bad} are not of {', '.join(SETTINGS)}")
    seeds = [int(x) for x in args.seeds.split(",")]
    learn = len(seeds) > 1  # the adaptive policies need a seed to be chosen or fitted on and one to be scored on
    tasks = [task(s, seed, c, {"policy": "fixed", "k": k, "true_endpoints": True}, w,
                  states=learn and seed == seeds[0] and c in learned_family(L))
             for s in settings for seed in seeds for c, (k, w) in choices(L).items()]
    if learn:
        tasks += [task(s, seed, c, split) for s in settings for seed in seeds for c, split in adaptive_splits(L).items()]
    family = ["k0_ids", *adaptive_splits(L), f"k{L}_local"]  # the adaptive policy's thresholds, -inf .. +inf
    print(f"{len(tasks)} runs: settings {settings}, seeds {args.seeds}, choices {list(choices(L))}, "
          f"{args.workers} workers, 1 torch thread each", flush=True)
    df = pd.concat([score(r, L) for r in run_all(tasks, args.workers)], ignore_index=True)  # one run at a time
    if learn:
        with tempfile.TemporaryDirectory(prefix="split_matters_live_") as folder:
            more, chosen = learned_runs(df, settings, seeds, L, Path(folder), args.workers)
        df = pd.concat([df, *(score(r, L) for r in more)], ignore_index=True)
    df["fixed"] = df["choice"].isin(list(choices(L)))
    if args.out:
        df.to_parquet(args.out)
    out = {"setup": {"ttft_target_ms": TTFT_TARGET_MS, "seeds": args.seeds, "choices": list(choices(L)),
                     "learned_family": list(learned_family(L)), "objectives": list(OBJECTIVES)}, "settings": {}}
    for s in settings:
        part = df[df["setting"] == s]
        out["settings"][s] = {"choices": per_choice(part), **{o: gains(part, o) for o in OBJECTIVES}}
        if learn:
            out["settings"][s]["adaptive"] = {o: adaptive_share(part, o, seeds[0], threshold_pick(part, o, seeds[0], family))
                                              for o in OBJECTIVES}
            out["settings"][s]["learned"] = {o: {**adaptive_share(part, o, seeds[0], chosen[s][o]["policy"]),
                                                 **chosen[s][o]} for o in OBJECTIVES}
        report(out, s, seeds)
    print(json.dumps(out))
    rec.save(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
