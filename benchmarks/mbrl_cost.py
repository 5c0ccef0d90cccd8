"""Real evaluations and wall time that MBRL and model-free PPO need to reach 95% of the skyline.

Setup: examples/mbrl_default.yaml (or --config): recorded LTE traces (cached), real-evaluation
tables of SmolLM2 under the recorded packet losses (cached), then the training pipeline of
mbrl.train with every learner of mbrl.learners.LEARNERS.

Equal charging (mbrl.evaluator.TableEvaluator, one rule for every learner): a real evaluation
is one distinct (window, lost set, k) tail pass, charged once at the measured wall time of one
unbatched evaluation; a repeat comes from the learner's memo free; intact states are free for
all (an intact activation gives the clean perplexity); real answers a learner uses to rank its
own checkpoints are charged to it the same way.

Wall time of a learner = compute_s + eval_s: compute_s is measured (everything it ran: every
surrogate fit, PPO, checkpoint selection; the referee's held-out checks excluded), eval_s is
its real evaluations x the single-call cost measured at the start of each seed (median of 21
unbatched evaluations), an ESTIMATE (the answers come from tables built in batches): wall_measured
false. With --measure-mf SEED, model-free PPO in that seed runs
every paid evaluation as a real tail pass of SmolLM2 (mbrl.evaluator.MeasuredLedger), timed
inside its wall time: its wall_s is then measured end to end (wall_measured true).

Targets. The exact-fate oracle sees the fates of the very transfer it splits: out of reach for
any causal policy, reported as a share only. The target is 95% of the skyline (mbrl.skyline:
the best policy over the same observation fitted on the full real table of the train states and
half of the held-out states, scored on the other half, cross-fitted), as a share of the
random-to-skyline gap on the held-out traces. A point counts when the checkpoint stopping there
would deploy (chosen on the learner's own reward source, never on held-out) reaches the target.
A learner that never gets there is reported as "not reached".

Sizes (--size): the state space grows with more trace seeds and text windows (the same two
channel/mobility variants, 3 UEs, 10 s runs, settings of the config, but one at large):

    small   the config as it is (examples/mbrl_default.yaml: train seeds 1-2, held-out 3,
            8 windows): 2,573 distinct evaluations in the exhaustive table
    medium  train seeds 1, 2, 4, 5, 7-10, held-out 3, 6, 11, 12, 32 windows: 8,618
    large   train seeds 1, 2, 4, 5, 7-10, 13-20, held-out 3, 6, 11, 12, 21-24, 128 windows: 23,901;
            and surrogate.columns 3 (the 3 best columns share each batch of the columns
            acquisition; chosen on this size's train seeds: benchmarks/mbrl_design.py --size large
            --folds 4 --planned --designs columns,columns:3, 0.662 against 0.649 of the gap)

A size's tables are built once (tail passes of every distinct (window, lost set, k); about
38 min for large on 2 shared cores; traces 2 min) and cached like any training's. Default: large.

Last line: one JSON object (with --seeds, a list per key): mbrl_real_evals, mbrl_wall_s,
mf_real_evals, mf_wall_s (to 95% of the skyline), mbrl_/mf_compute_s (measured part) and
mbrl_/mf_eval_s (estimated part) there, mbrl_frac_skyline, mf_frac_skyline, mbrl_frac_oracle,
mf_frac_oracle (deployed policies at the end), skyline_frac_oracle, causal_ref_frac_skyline,
best_fixed_frac_skyline, mbrl_/mf_total_real_evals (at the end), eval_cost_s (the charge per
evaluation, measured before the run), distinct_evals_total (train and
held-out tables, every k: the exhaustive table), distinct_evals_train, wall_measured (a flag
per wall figure) and best_fixed_k_train (the best fixed split on the train states' real table).
Then issue 28's keys over the seeds (mbrl.harness.headline), on the scale of the adaptive gain
(the best fixed split chosen on the train states -> the skyline, --gain-target of it):
gain_share_iqm, gain_share_ci95, random_share_iqm, reached, paid_to_target_median (per
learner), adaptive_gain_ci95 and measurable (skyline minus best fixed, per held-out decision),
mf_best, mf_repeat_rate (the share of its questions answered without a new charge: repeats and
intact states), probability_of_improvement, evals_ratio (or why there is none),
evals_ratio_with_selection, selection_evals (from --selection, benchmarks/mbrl_design.py's saved
record: the real evaluations its validation read; 0 where none is saved) and target_met. --save writes
benchmarks/results/mbrl_cost.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402


_MEDIUM_TRAIN, _MEDIUM_TEST = [1, 2, 4, 5, 7, 8, 9, 10], [3, 6, 11, 12]
SIZES = {
    "small": {},
    "medium": {"traces": {"train_seeds": _MEDIUM_TRAIN, "test_seeds": _MEDIUM_TEST}, "evaluator": {"n_windows": 32}},
    "large": {"traces": {"train_seeds": _MEDIUM_TRAIN + list(range(13, 21)), "test_seeds": _MEDIUM_TEST + [21, 22, 23, 24]},
              "evaluator": {"n_windows": 128}, "surrogate": {"columns": 3}},
}


# Scoring traces never looked at before the settings were frozen (issue 28): seeds from 101 on, as
# many as the size's held-out seeds. --scoring heldout scores on the held-out seeds that the
# settings (budget 600, columns 3) were first seen on.
FRESH = {"small": [101], "medium": [101, 102, 103, 104], "large": list(range(101, 109))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(Path(__file__).resolve().parents[1] / "examples" / "mbrl_default.yaml"))
    ap.add_argument("--size", choices=sorted(SIZES), default="large",
                    help="state-space size (module doc); default large, where issue 14 sets its target")
    ap.add_argument("--target", type=float, default=0.95, help="share of the skyline gap from random (old scale)")
    ap.add_argument("--gain-target", type=float, default=0.5,
                    help="share of the adaptive gain (best fixed split on the train states -> skyline; issue 28)")
    record.add_save_option(ap)
    ap.add_argument("--seeds", help="comma-separated seeds, each setting seed and surrogate.seed (default: the "
                    "config's); with several, the last line holds a list per key")
    ap.add_argument("--scoring", choices=("fresh", "heldout"), default="fresh",
                    help="held-out traces: fresh seeds 101.. (default) or the size's held-out seeds")
    ap.add_argument("--methods", default="ppo",
                    help="model-free learners, any of ppo,a2c,dqn (step sizes: the config's model_free.step_sizes)")
    ap.add_argument("--selection", default=str(Path(__file__).resolve().parents[1] / "benchmarks" / "results" /
                                               "mbrl_design.json"),
                    help="benchmarks/mbrl_design.py's saved record, for the selection cost")
    ap.add_argument("--measure-mf", type=int, action="append", default=[], metavar="SEED",
                    help="in this seed, model-free PPO's evaluations are real tail passes, timed (repeatable)")
    args = ap.parse_args()
    rec = record.Run(args)

    from mbrl.config import load_config, with_overrides

    cfg = with_overrides(load_config(args.config), SIZES[args.size])
    cfg = with_overrides(cfg, {"model_free": {"methods": args.methods.split(",")}})
    if args.scoring == "fresh":
        cfg = with_overrides(cfg, {"traces": {"test_seeds": FRESH[args.size]}})
    rec.setup.update(scoring=args.scoring, test_seeds=list(cfg.traces.test_seeds), methods=args.methods)
    runs = []
    for seed in [int(s) for s in args.seeds.split(",")] if args.seeds else [cfg.seed]:
        print(f"--- seed {seed}")
        runs.append(measure(with_overrides(cfg, {"seed": seed, "surrogate": {"seed": seed}}), args.config, args.target,
                            seed in args.measure_mf))
        print(json.dumps(_public(runs[-1])), flush=True)
    out = {"size": args.size, **{key: [r[key] for r in runs] for key in _public(runs[0])},
           **headline_figures(runs, args.gain_target, selection_evals(args.selection))}
    print(json.dumps(out))
    rec.save(out)
    return 0


def _public(run: dict) -> dict:
    return {k: v for k, v in run.items() if not k.startswith("_")}


def selection_evals(path: str) -> int:
    """The selection cost in a saved benchmarks/mbrl_design.py record (0, said, where there is none)."""
    p = Path(path)
    if not p.is_file():
        print(f"no selection record at {p}: selection cost reported as 0", flush=True)
        return 0
    return int(json.loads(p.read_text())["figures"].get("selection_evals", 0))


def headline_figures(runs: list[dict], target: float, selection: int = 0) -> dict:
    """Issue 28's keys over the seeds (mbrl.harness.headline): deployed gain shares, evaluations
    to ``target`` of the adaptive gain, the adaptive gain's interval (the first seed's: the
    held-out traces are the same in every seed)."""
    from mbrl.harness import headline, summarise

    learners = list(runs[0]["_learners"])
    per_seed = [r["_learners"] for r in runs]
    s = summarise(per_seed, learners, target, "mbrl")
    rates = {ln: [r["_learners"][ln]["repeat_rate"] for r in runs] for ln in learners}
    return headline(s, learners, "mbrl", runs[0]["_refs"]["adaptive_gain"], target, len(runs), selection, rates)


def reach(curve: list, target: float) -> dict:
    """Real evaluations and wall time (measured and estimated parts) at the first point whose
    deployed policy reaches ``target`` of the skyline gap; "not reached" where none does."""
    hit = next((p for p in curve if p["frac_skyline"] >= target), None)
    if hit is None:
        return {k: "not reached" for k in ("real_evals", "wall_s", "compute_s", "eval_s")}
    return {"real_evals": hit["real_evals"], "wall_s": round(hit["wall_s"], 2), "compute_s": round(hit["compute_s"], 2),
            "eval_s": round(hit["eval_s"], 2)}


def measure(cfg, config_path: str, target: float, measure_mf: bool = False) -> dict:
    """Runs the pipeline once, prints the details, returns the JSON figures."""
    from mbrl.dataset import prepare
    from mbrl.evaluator import RealEvaluator
    from mbrl.train import train

    import torch

    torch.set_num_threads(cfg.threads)  # as train runs; more threads than cores only contend (10x+ slower)
    ds = prepare(cfg.traces, cfg.evaluator, progress=True)
    ev = RealEvaluator(cfg.evaluator)
    # the charge per evaluation is measured now, on this machine, not when the tables were built
    ds.train_table.cost_s = ev.single_cost_s(repeats=21)
    real = {"model_free": ev} if measure_mf else {}
    t0 = time.perf_counter()
    m = train(cfg, ds=ds, progress=True, real=real)
    print(f"config {config_path} (seed {cfg.seed}); pipeline wall {time.perf_counter() - t0:.1f} s; real evaluation "
          f"{m['real_eval_cost_s'] * 1000:.1f} ms each (unbatched, measured before the run)")
    print(f"held-out: {m['states']['heldout']} decisions, {m['states']['heldout_damaged_share']:.0%} with lost packets; "
          f"distinct evaluations {m['distinct_evals']}; skyline families {m['skyline']['families']}")
    s = m["surrogate"]
    print(f"surrogate: {s['real_evals']} real evals answer {s['known_cells']} (state, k) cells of the train table "
          f"({s['reused_cells']} by reuse); held-out MAE of Q {s['mae_q']:.3f}, best-k agreement {s['best_k_agreement']:.3f}")
    for name in ("oracle", "skyline", "causal_stump", "mbrl_ppo", "modelfree_ppo", "greedy_surrogate", m["best_fixed"],
                 "random"):
        r = m["comparison"].get(name)
        if r:
            print(f"  {name:18s} reward {r['mean_reward']:8.3f}  frac of skyline gap {r['frac_skyline']:6.3f}  "
                  f"of oracle gap {r['frac_oracle']:6.3f}  UE share {r['ue_share']:.2f}")
    out, flags = {}, {}
    for key, ln in (("mbrl", "mbrl"), ("mf", "model_free")):
        learner = m["learners"].get(ln)
        hit = reach(learner["curve"], target) if learner else reach([], target)
        for field, v in hit.items():
            out[f"{key}_{field}"] = v
        flags[f"{key}_wall_s"] = bool(learner and learner["wall_measured"])  # else eval_s is an estimate
        if learner:
            d = learner["deployed"]
            print(f"{key}: {learner['real_evals']} real evals ({learner['lookups']} lookups); deployed checkpoint "
                  f"(seed {d['deployed']['seed']}, {d['deployed']['steps']} steps) held-out {d['frac_skyline']:.3f} "
                  f"of the skyline gap; reached {target:.0%} of it at {hit['real_evals']} real evals")
            row = m["comparison"][learner["policy"]]
            out[f"{key}_frac_skyline"], out[f"{key}_frac_oracle"] = round(row["frac_skyline"], 4), round(row["frac_oracle"], 4)
            out[f"{key}_total_real_evals"] = learner["real_evals"]
    c = m["comparison"]
    out.update({"skyline_frac_oracle": round(c["skyline"]["frac_oracle"], 4),
                "causal_ref_frac_skyline": round(c["causal_stump"]["frac_skyline"], 4),
                "best_fixed_frac_skyline": round(c[m["best_fixed"]]["frac_skyline"], 4),
                "eval_cost_s": round(m["real_eval_cost_s"], 4),
                "distinct_evals_total": m["distinct_evals"]["total"], "distinct_evals_train": m["distinct_evals"]["train"],
                "wall_measured": flags, "best_fixed_k_train": m["refs"]["best_fixed_k"]})
    out["_refs"] = m["refs"]
    out["_learners"] = {ln: {"final": learner["deployed"], "curve": learner["curve"],
                             "repeat_rate": 1 - learner["real_evals"] / max(learner["lookups"], 1)}
                        for ln, learner in m["learners"].items()}
    return out


if __name__ == "__main__":
    sys.exit(main())
