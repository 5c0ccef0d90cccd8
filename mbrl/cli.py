"""`layersplit train CONFIG`, `layersplit evaluate RUN` and `layersplit paper CONFIG` (wired into
cosim.cli with register)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def _train(args: argparse.Namespace) -> int:
    from cosim.run.rundir import new_run_dir

    from .config import load_config
    from .report import comparison_markdown
    from .train import train

    cfg = load_config(args.config)
    out = new_run_dir(args.out, "mbrl_" + Path(args.config).stem)
    metrics = train(cfg, out=out, progress=not args.quiet)
    print(comparison_markdown(metrics))
    print(f"run folder: {out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .report import comparison_markdown

    path = Path(args.run) / "metrics.json"
    if not path.is_file():
        raise ValueError(f"RUN: {args.run} has no metrics.json; make one with `layersplit train CONFIG`")
    text = comparison_markdown(json.loads(path.read_text()))
    (Path(args.out) if args.out else Path(args.run) / "comparison.md").write_text(text)
    print(text)
    return 0


def _paper(args: argparse.Namespace) -> int:
    from cosim.run.rundir import new_run_dir

    from .paper import run_paper
    from .paper_config import load_paper_config

    cfg = load_paper_config(args.config)
    out = new_run_dir(args.out, "paper_" + Path(args.config).stem)
    m = run_paper(cfg, out=out, progress=not args.quiet)
    print(paper_summary(m))
    print(f"run folder: {out}")
    return 0


def paper_summary(m: dict) -> str:
    """The paper experiment's references and each learner's deployed policy, one line each."""
    refs = m["references"]
    lines = [f"scoring data, mean reward per step: optimum {refs['optimum']:.3f}, best fixed k = {refs['best_fixed_k']} "
             f"(chosen on training data) {refs['best_fixed']:.3f}, random {refs['random']:.3f}"]
    for name, r in m["methods"].items():
        d = r["final"]
        est = "measured" if r["wall_measured"] else "ESTIMATED evaluations"
        lines.append(f"{name:9s} paid real evals {r['paid']:7d}  wall {r['wall_s']:9.1f} s ({est})  deployed (step "
                     f"{d['steps']}): reward {d['mean_reward']:8.3f}, share of the adaptive gain {d['gain_share']:.3f}, "
                     f"of random -> optimum {d['random_share']:.3f}")
    return "\n".join(lines)


def register(subparsers) -> None:
    """Adds the ``train``, ``evaluate`` and ``paper`` subcommands to an argparse subparsers object."""
    p = subparsers.add_parser("train", help="train the model-based split agent and its baselines",
                              description="Records (or reuses) LTE traces, builds (or reuses) the real-evaluation "
                              "tables, fits the reward surrogate by active learning, trains PPO on it, trains "
                              "model-free PPO, and compares them with fixed k, random, greedy and the oracle on "
                              "held-out traces. Writes a run folder: config.yaml, metrics.json, agent.zip/.json, "
                              "surrogate.pt, curves.png, comparison.md.")
    p.add_argument("config", help="training YAML, e.g. examples/mbrl_default.yaml")
    p.add_argument("--out", help="run folder to create (default: a new folder under runs/)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_train)
    p = subparsers.add_parser("evaluate", help="print the comparison table of a training run",
                              description="Mean reward, share of the random-to-oracle gap, perplexity, UE share, "
                              "latency and real evaluations per method, on the held-out traces.")
    p.add_argument("run", help="run folder written by `layersplit train`")
    p.add_argument("--out", help="markdown file to write (default: RUN/comparison.md)")
    p.set_defaults(func=_evaluate)
    p = subparsers.add_parser("paper", help="the seed paper's experiment: surrogate PPO against PPO, A2C, DQN",
                              description="State (p, k), move actions, i.i.d. element erasure after layer k, the "
                              "paper's ratio reward. Builds (or reuses) a bank of real evaluations, fits an "
                              "offline surrogate on (p, k), trains PPO on it and PPO, A2C and DQN on real "
                              "evaluations, scores all on held-out episodes. Writes config.yaml, metrics.json, "
                              "curves.csv, ppl_vs_k.png, reward_vs_steps.png, reward_vs_evals.png, cost_ratio.png.")
    p.add_argument("config", help="experiment YAML, e.g. examples/mbrl_paper.yaml")
    p.add_argument("--out", help="run folder to create (default: a new folder under runs/)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_paper)
