"""The seed paper's experiment on the one referee (issue 28): PPO on an offline surrogate against
PPO, A2C and DQN trained on real evaluations, over seeds, scored on fresh data by what each
learner deploys.

Setup: examples/mbrl_paper.yaml (or --config), its settings frozen by
benchmarks/mbrl_paper_select.py on training data. The training bank and the scoring bank (later
corpus windows, masks of their own: mbrl.paper) are built once and shared by the seeds; --seeds
sets ``seed`` (the learners, the surrogate's fit masks and initialisation, each learner's
training episodes). Run folders under --out, one per seed, with the figures.

Charging (one rule for all, mbrl.ledger): a real evaluation is one perplexity of the eval
windows under one fresh mask at a damaged (p, k) cell (p = 0 free); one stratified on its
decisive elements is charged 2. Every draw is paid, a repeated bank entry included (the bank
stands in for fresh draws). MBRL's evaluations are real tail passes, timed (measured);
model-free draws are charged at the entry's seconds measured when the bank was built, an
ESTIMATE (``wall_measured`` false). Setting selection's evaluations are reported beside each
learner's own (``selection_evals``, from the selection script's saved JSON, --selection).

Scores: the deployed policy (each learner's best checkpoint by its own criterion on its own
data) on the scoring episodes with the scoring bank's true reward, as ``gain_share`` (the share
of the gap from the best fixed split, chosen on training data, to the optimum) beside
``random_share``. Over the seeds: interquartile mean with a 95 % stratified-bootstrap interval
(mbrl.stats). Evaluations to --target (a gain share; default 0.5): the first checkpoint at which
the deployed policy reaches it; a learner that never does contributes its spending at the end
(a lower bound). Where the adaptive gain's interval includes 0, no ratio is printed.

Last line: one JSON object with ``seeds``, ``target``, ``adaptive_gain`` and
``adaptive_gain_ci95`` (optimum minus best fixed, per decision), ``measurable``,
``gain_share_iqm``, ``gain_share_ci95``, ``random_share_iqm``, ``paid_to_target_median`` and
``reached`` (each a mapping per learner), ``mf_best`` (the model-free learner with the highest
gain-share IQM), ``mf_repeat_rate`` (the share of its bank draws that reused an entry, median over
seeds), ``evals_ratio`` (``mf_best``'s median evaluations to the target over MBRL's; a lower
bound where it did not always reach it), ``evals_ratio_with_selection``, ``selection_evals``,
``probability_of_improvement``, ``target_met`` and the per-learner ``<m>_paid``, ``<m>_wall_s``,
``<m>_wall_measured`` (medians over seeds), ``mbrl_planned_gain_share_iqm`` and ``_ci95`` (the
optimum planned on MBRL's surrogate table, no PPO: the surrogate's own share). --save writes it with the setup to
benchmarks/results/mbrl_paper.json (mbrl.harness.summarise's curves and profiles included).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples" / "mbrl_paper.yaml"))
    ap.add_argument("--seeds", default="0-9", help="seeds: a range 0-9 or a comma list ('none': only --measure-live)")
    ap.add_argument("--target", type=float, default=0.5, help="share of the adaptive gain (default 0.5)")
    ap.add_argument("--selection", default=str(ROOT / "benchmarks" / "results" / "mbrl_paper_select.json"),
                    help="the selection script's saved JSON, for the selection cost")
    ap.add_argument("--out", default=None, help="folder for the run folders (default: a new one under runs/)")
    ap.add_argument("--from", dest="from_dir", nargs="+", default=None, metavar="DIR",
                    help="summarise the seed folders (seed*/metrics.json) of earlier runs under these folders "
                         "instead of running seeds")
    ap.add_argument("--jobs", type=int, default=1,
                    help="seeds run at once, each in a process of its own (default 1); a seed's figures do not "
                         "depend on it")
    ap.add_argument("--measure-live", type=int, default=0, metavar="STEPS",
                    help="also run model-free A2C for STEPS steps on live real evaluations, timed end to end")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)

    from cosim.run.rundir import new_run_dir
    from mbrl.paper import build_world, measure_live
    from mbrl.paper_config import load_paper_config, with_paper_overrides

    cfg = load_paper_config(args.config)
    seeds = parse_seeds(args.seeds)
    out, detail = {}, {}
    base = Path(args.from_dir[0]) if args.from_dir else new_run_dir(args.out, "paper_bench")
    if args.from_dir:
        runs = load_runs([Path(d) for d in args.from_dir], cfg)
        seeds = [m["seed"] for m in runs]
        print(f"summarising {len(runs)} seed folders under {base}: seeds {seeds}", flush=True)
    elif seeds:
        world = build_world(cfg, progress=True)  # builds and caches both banks once, for every worker
        runs = run_seeds(cfg, seeds, base, args.jobs, world)
    if seeds:
        out, detail = figures(runs, cfg, args.target, load_selection(args.selection))
        report(runs[0], out)
        rec.setup.update(config=str(Path(args.config).relative_to(ROOT)) if args.config.startswith(str(ROOT))
                         else args.config, bank=runs[0]["setup"], references=runs[0]["references"])
    if args.measure_live:
        live = measure_live(with_paper_overrides(cfg, {"seed": seeds[0] if seeds else cfg.seed}), args.measure_live)
        print(f"live model-free {live['method']}, {live['env_steps']} steps: {live['real_evals']} real tail passes, "
              f"{live['wall_s']:.1f} s MEASURED end to end ({live['eval_s_measured']:.1f} s in evaluations); "
              f"the bank's estimate for the same evaluations: {live['eval_s_bank_estimate']:.1f} s")
        out["live"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in live.items()}
    print(f"run folders: {base}")
    print(json.dumps(out))
    rec.save({**out, "detail": detail})  # writes only with --save
    return 0


def run_seeds(cfg, seeds: list[int], base: Path, jobs: int, world) -> list[dict]:
    """Each seed's metrics, in seed order; with ``jobs`` > 1 in a pool of processes that load the
    cached banks (a seed's run reads the world and writes nothing to it)."""
    if jobs <= 1:
        return [_one_seed(cfg, seed, base, world) for seed in seeds]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(min(jobs, len(seeds)), mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_one_seed, [cfg] * len(seeds), seeds, [base] * len(seeds)))


_WORLD = None  # a worker's world, loaded once from the banks' cache


def _one_seed(cfg, seed: int, base: Path, world=None) -> dict:
    global _WORLD
    from mbrl.paper import build_world, run_paper
    from mbrl.paper_config import with_paper_overrides

    if world is None:
        _WORLD = _WORLD or build_world(cfg)
        world = _WORLD
    t0 = time.perf_counter()
    m = run_paper(with_paper_overrides(cfg, {"seed": seed}), out=base / f"seed{seed}", progress=True, world=world)
    print(f"--- seed {seed}: {time.perf_counter() - t0:.0f} s", flush=True)
    return m


def load_runs(bases: list[Path], cfg) -> list[dict]:
    """Each seed folder's metrics under ``bases``, in seed order, with its ``seed``; a folder whose
    resolved config differs from ``cfg`` in more than the seed, or a seed found twice, is refused."""
    import yaml

    from mbrl.config import to_dict

    want, runs = {**to_dict(cfg), "seed": None}, []
    for d in (d for base in bases for d in sorted(base.glob("seed*"))):
        if (d / "metrics.json").is_file():
            got = yaml.safe_load((d / "config.yaml").read_text())
            if {**got, "seed": None} != want:
                raise SystemExit(f"--from: {d / 'config.yaml'} is not --config's settings (seed aside)")
            runs.append({**json.loads((d / "metrics.json").read_text()), "seed": got["seed"]})
    seeds = [m["seed"] for m in runs]
    if not runs or len(set(seeds)) < len(seeds):
        raise SystemExit(f"--from: {'a seed twice' if runs else 'no seed*/metrics.json'} under "
                         f"{', '.join(map(str, bases))}")
    return sorted(runs, key=lambda m: m["seed"])


def parse_seeds(text: str) -> list[int]:
    if text == "none":
        return []
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def load_selection(path: str) -> dict:
    """The selection script's saved figures: its real evaluations ({} when it has not been run)."""
    p = Path(path)
    if not p.is_file():
        print(f"no selection record at {p}: selection cost not reported", flush=True)
        return {}
    data = json.loads(p.read_text())
    return data.get("figures", data)  # a benchmarks.record file holds its figures under "figures"


def figures(runs: list[dict], cfg, target: float, selection: dict) -> tuple[dict, dict]:
    """The JSON line's figures (module doc) and the summary's detail (curves, profiles)."""
    from mbrl.harness import headline, summarise

    methods = list(cfg.learners.methods)
    per_seed = [{ln: {"final": m["methods"][ln]["final"], "curve": m["methods"][ln]["curve"]} for ln in methods}
                for m in runs]
    s = summarise(per_seed, methods, target, "mbrl_ppo")
    refs = runs[0]["references"]
    rates = {ln: [m["methods"][ln]["ledger"]["banks"].get("train", {}).get("repeat_rate", 0.0) for m in runs]
             for ln in methods}
    out = headline(s, methods, "mbrl_ppo", refs["adaptive_gain"], target, len(runs),
                   selection.get("selection_evals", 0), rates)
    out.update(adaptive_gain=round(refs["adaptive_gain"]["per_step"], 4), best_fixed_k=refs["best_fixed_k"],
               hindsight_fixed_k=refs["hindsight_fixed_k"])
    planned = [m["surrogate"]["planned_gain_share"] for m in runs if "surrogate" in m]
    if planned:  # the surrogate's own optimum, no PPO: is the shortfall the model's or the learner's?
        from mbrl.stats import iqm, stratified_bootstrap_ci

        ci = stratified_bootstrap_ci(np.array(planned))
        out.update(mbrl_planned_gain_share_iqm=round(float(iqm(np.array(planned))), 4),
                   mbrl_planned_gain_share_ci95=[round(ci.lo, 4), round(ci.hi, 4)])
    for ln in methods:
        col = [m["methods"][ln] for m in runs]
        out[f"{ln}_paid"] = float(np.median([r["paid"] for r in col]))
        out[f"{ln}_wall_s"] = round(float(np.median([r["wall_s"] for r in col])), 1)
        out[f"{ln}_wall_measured"] = all(r["wall_measured"] for r in col)
    return out, {ln: {k: s[ln][k] for k in ("gain_share", "to_target", "profile", "efficiency")} for ln in methods}


def report(m: dict, out: dict) -> None:
    s, refs = m["setup"], m["references"]
    print(f"SmolLM2 L = {s['L']}, ks {s['ks']}, ps {s['ps']}; training bank: clean perplexity {s['clean_ppl']:.2f}, "
          f"{s['bank_entries']} entries charged as {s['bank_evals']} ({s['bank_masks']} masks per damaged cell, "
          f"built {s['bank_built']}, {s['eval_s_mean']:.3f} s per entry measured); scoring bank: windows from "
          f"{s['scoring_windows_from']}, {s['scoring_masks']} masks, clean perplexity {s['scoring_clean_ppl']:.2f}")
    print(f"scoring data, mean reward per step: optimum {refs['optimum']:.3f}, best fixed k = {refs['best_fixed_k']} "
          f"(chosen on training data) {refs['best_fixed']:.3f}, in hindsight k = {refs['hindsight_fixed_k']} "
          f"{refs['hindsight_fixed']:.3f}, random {refs['random']:.3f}; adaptive gain {out['adaptive_gain']:.3f} "
          f"per step, 95 % CI {out['adaptive_gain_ci95']} ({'measurable' if out['measurable'] else 'NOT measurable'})")
    for ln, g in out["gain_share_iqm"].items():
        print(f"  {ln:9s} gain share IQM {g:.3f} {out['gain_share_ci95'][ln]}, random share IQM "
              f"{out['random_share_iqm'][ln]:.3f}; reached {out['target']:.2f} in {out['reached'][ln]}/{out['seeds']} "
              f"seeds at median {out['paid_to_target_median'][ln]:.0f} paid evaluations; spent {out[f'{ln}_paid']:.0f}, "
              f"wall {out[f'{ln}_wall_s']:.0f} s ({'measured' if out[f'{ln}_wall_measured'] else 'ESTIMATED part'})")
    if "mf_best" in out:
        print(f"best model-free: {out['mf_best']} (bank repeat rate {out['mf_repeat_rate']:.1%}); evaluations ratio "
              f"{out['evals_ratio']}{' (lower bound)' if out.get('evals_ratio_lower_bound') else ''}, with selection "
              f"cost {out.get('evals_ratio_with_selection')} ({out['selection_evals']} selection evaluations); "
              f"P(MBRL > {out['mf_best']}) {out['probability_of_improvement']}; target met: {out['target_met']}")


if __name__ == "__main__":
    sys.exit(main())
