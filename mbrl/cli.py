"""`layersplit train CONFIG` and `layersplit evaluate RUN` (wired into cosim.cli with register)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def _train(args: argparse.Namespace) -> int:
    from cosim.rundir import new_run_dir

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


def register(subparsers) -> None:
    """Adds the ``train`` and ``evaluate`` subcommands to an argparse subparsers object."""
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
