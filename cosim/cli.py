"""The `layersplit` command: one subcommand per job, each with --help."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from cosim.run.dispatch import parse_sets, run_config

    if args.stall_timeout is not None:  # read by every Simulation, in this process and its children
        os.environ["LAYERSPLIT_STALL_TIMEOUT_S"] = str(args.stall_timeout)
    if args.force:
        os.environ["LAYERSPLIT_FORCE"] = "1"
    overrides = parse_sets(args.set)
    if args.seed is not None:
        overrides["seed"] = args.seed
    run_dir = run_config(args.config, out=args.out, overrides=overrides, progress=not args.no_progress)
    for line in _run_warnings(run_dir):
        print(f"layersplit run: warning: {line}", file=sys.stderr)
    print(f"run folder: {run_dir}")
    return 0


def _run_warnings(run_dir) -> list[str]:
    """What the run's check of its own data found (meta.json ``warnings``; cosim.run.selfcheck)."""
    import json

    meta = Path(run_dir) / "meta.json"
    return json.loads(meta.read_text()).get("warnings") or [] if meta.is_file() else []


def _sweep(args: argparse.Namespace) -> int:
    from cosim.sweep.runner import run_sweep, sweep_status

    if args.spec == "status":
        if not args.dir:
            raise ValueError("sweep status: give the sweep folder, e.g. layersplit sweep status runs/my_sweep")
        print(sweep_status(args.dir))
        return 0
    done = run_sweep(args.spec, out=args.out, executor=args.executor, workers=args.workers, address=args.address,
                     progress=not args.no_progress)
    print(sweep_status(done["dir"]))
    return 0 if set(done["counts"]) == {"ok"} else 1


def _summary(args: argparse.Namespace) -> int:
    from cosim.outputs.summary import print_summary

    print_summary(_existing_run(args.run))
    return 0


def _plot(args: argparse.Namespace) -> int:
    from cosim.outputs.plot import plot_run

    for path in plot_run(_existing_run(args.run), args.out):
        print(path)
    return 0


def _report(args: argparse.Namespace) -> int:
    from cosim.outputs.report import write_report

    runs = [_existing_run(r) for r in args.run]
    if len(runs) == 1:
        print(write_report(runs[0], args.out))
        return 0
    from cosim.outputs.compare import write_comparison

    for run in runs:  # each run's own report, then the page that sets them side by side
        print(write_report(run))
    print(write_comparison(runs, args.out or runs[0].parent / "compare.html"))
    return 0


def _config(args: argparse.Namespace) -> int:
    from cosim.bridge.programs import bridge_module

    root = Path(bridge_module().__file__).parent
    paths = {"cmake_dir": root / "lib" / "cmake" / "layersplit", "include_dir": root / "include",
             "bin_dir": root / "bin"}
    chosen = [name for name in paths if getattr(args, name)] or list(paths)
    for name in chosen:
        print(paths[name] if len(chosen) == 1 else f"{name}: {paths[name]}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from cosim.bridge.demo import run_demo

    return run_demo(ues=args.ues, duration_ms=args.duration_ms, grant_ms=args.grant_ms, seed=args.seed)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1e6:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds in (0, 1e6]")
    return value


def _existing_run(path: str) -> Path:
    run = Path(path)
    if not any((run / name).exists() for name in ("slots.parquet", "slots.parquet.arrows")):
        raise FileNotFoundError(f"RUN: {run} is not a run folder (no slots.parquet); make one with `layersplit run`")
    return run


def _add_commands(sub) -> None:
    p = sub.add_parser("run", help="run a scenario YAML file and write its traces",
                       description="Validates the scenario, runs the ns-3 cell under the bridge and writes a run "
                                   "folder: slots.parquet, packets.parquet, config.yaml (resolved), meta.json. "
                                   "A scenario with split-inference sections (model, requests, split, ...) also "
                                   "runs the split LLM over the air and writes requests.parquet.")
    p.add_argument("config", help="scenario YAML file, e.g. examples/lte_urban.yaml")
    p.add_argument("--out", help="run folder to create (default: a new folder under runs/)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one field (dotted path, list items by number; the value is YAML), e.g. "
                        "--set radio.rlc_mode=AM --set ue_groups.0.count=8; repeatable")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--stall-timeout", type=_seconds, metavar="S",
                   help="fail when the simulation makes no progress for S seconds (default 60; e.g. a stopped "
                        "or deadlocked ns-3 program)")
    p.add_argument("--force", action="store_true",
                   help="run even when the up-front estimate says the scenario cannot finish in reasonable time "
                        "or memory (cosim.run.estimate)")
    p.set_defaults(func=_run)

    p = sub.add_parser("sweep", help="run many points of a config (a grid or list of overrides) on a local pool or Ray",
                       description="Runs every point of SWEEP.yaml (a base config plus overrides; see cosim/sweep/runner.py) "
                                   "as an independent run and gathers the traces into Parquet datasets partitioned "
                                   "by the swept fields. Calling it again runs only missing or failed points. "
                                   "`layersplit sweep status DIR` prints the points' status.")
    p.add_argument("spec", metavar="SWEEP.yaml|status", help="sweep file, or 'status' followed by a sweep folder")
    p.add_argument("dir", nargs="?", help="with 'status': the sweep folder")
    p.add_argument("--out", help="sweep folder (default: runs/<sweep file name>; an existing one is resumed)")
    p.add_argument("--executor", choices=["local", "ray"], help="override the file's executor (default local)")
    p.add_argument("--workers", type=int, help="parallel points (default: the machine's CPUs)")
    p.add_argument("--address", help="Ray cluster address for ray.init (default: a local Ray)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_sweep)

    trace = sub.add_parser("trace", help="inspect a run's traces").add_subparsers(dest="trace_command", required=True,
                                                                                  metavar="TRACE_COMMAND")
    p = trace.add_parser("summary", help="per-UE statistics of a run", description="Prints per-UE channel and packet statistics.")
    p.add_argument("run", help="run folder")
    p.set_defaults(func=_summary)

    p = sub.add_parser("plot", help="PNG plots of a run", description="Writes channel.png (SINR, CQI, MCS per UE "
                                                                       "over time) and trajectories.png.")
    p.add_argument("run", help="run folder")
    p.add_argument("--out", help="folder for the PNG files (default: the run folder)")
    p.set_defaults(func=_plot)

    p = sub.add_parser("report", help="HTML report of a split-inference run, or several side by side",
                       description="Writes a self-contained report.html: latency CDF and breakdown per split, "
                                   "perplexity against uplink SINR, one UE's timeline, per-split means. With "
                                   "several runs (e.g. one scenario under different split policies) it also "
                                   "writes a page comparing them: per policy the median and mean log perplexity "
                                   "per request with a 95% interval (cosim/outputs/compare.py).")
    p.add_argument("run", nargs="+", help="run folder(s) made by `layersplit run` on a split scenario")
    p.add_argument("--out", help="HTML file to write (default: RUN/report.html; with several runs the "
                                 "comparison, default: compare.html beside the first run)")
    p.set_defaults(func=_report)

    p = sub.add_parser("config", help="where the installed C++ parts are (for building your own ns-3 script)",
                       description="Prints the folders of the installed package's CMake config, headers and "
                                   "programs, e.g. cmake -Dlayersplit_DIR=$(layersplit config --cmake-dir) ...")
    for name in ("cmake_dir", "include_dir", "bin_dir"):
        p.add_argument("--" + name.replace("_", "-"), dest=name, action="store_true", help=f"print only the {name}")
    p.set_defaults(func=_config)

    p = sub.add_parser("demo", help="stream the slots of a minimal ns-3 program to Python and summarise them",
                       description="Runs ns3_scenarios/slot_clock.cc (real ns-3 libraries, one event per 1 ms slot) "
                                   "under the bridge and prints what arrived.")
    p.add_argument("--ues", type=int, default=4, help="UEs, one record each per slot (default 4)")
    p.add_argument("--duration-ms", type=int, default=10_000, help="simulated time in ms (default 10000)")
    p.add_argument("--grant-ms", type=int, default=100, help="simulated ms per grant; 1 = lockstep (default 100)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.set_defaults(func=_demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="layersplit", description=__doc__)
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error instead of one line (also accepted after the subcommand)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_commands(sub)
    import llm_split.cli
    from cosim.plugins import register_commands

    llm_split.cli.register(sub)
    register_commands(sub)  # e.g. mbrl's train and evaluate (cosim.plugins)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs a subcommand. Every error is one line on stderr and exit code 1 (``--debug``, anywhere
    on the line, shows the traceback instead); SIGINT, SIGTERM and SIGHUP stop a run cleanly
    (cosim.bridge.signals) with exit code 128 + the signal number."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    args = build_parser().parse_args([a for a in argv if a != "--debug"])
    from cosim.errors import one_line
    from cosim.bridge.signals import received, stop_on_signals

    try:
        with stop_on_signals():
            return int(args.func(args) or 0)
    except BaseException as exc:
        if isinstance(exc, (SystemExit, GeneratorExit)) or (debug and not isinstance(exc, KeyboardInterrupt)):
            raise
        signum = getattr(exc, "signum", None) or received() or (2 if isinstance(exc, KeyboardInterrupt) else None)
        if signum is not None:
            print(f"layersplit {args.command}: stopped by {signal.Signals(signum).name}; what ran so far is kept",
                  file=sys.stderr)
            return 128 + signum
        print(f"layersplit {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
