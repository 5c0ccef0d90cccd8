"""The `layersplit` command: one subcommand per job, each with --help."""

from __future__ import annotations

import argparse
import sys


def _demo(args: argparse.Namespace) -> int:
    from cosim.demo import run_demo

    return run_demo(ues=args.ues, duration_ms=args.duration_ms, grant_ms=args.grant_ms, seed=args.seed)


def _add_demo(sub) -> None:
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
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(sub)
    for module in ("llm_split.cli",):
        try:
            __import__(module, fromlist=["register"]).register(sub)
        except ImportError as exc:
            if exc.name and exc.name.split(".")[0] == module.split(".")[0] and "cli" in (exc.name or ""):
                continue  # that part is not installed yet
            raise
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
