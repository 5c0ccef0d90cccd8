"""Saving a benchmark's final JSON record, with the setup it was measured on, for the results pages.

A benchmark under benchmarks/speed/ or benchmarks/studies/ adds the option and saves its last line:

    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)       # notes the command line, machine, load average and time at start
    ...
    print(json.dumps(out))       # the benchmark's own last line, unchanged
    rec.save(out)                # writes only when --save was given

`--save` alone writes benchmarks/results/<benchmark>.json; `--save FILE` writes FILE (a second
record of the same benchmark, e.g. at other sizes). The file holds:

    benchmark   the script's name, e.g. "lte_speed"
    command     the command line, e.g. "python benchmarks/speed/lte_speed.py --save"
    options     every option's value (defaults included)
    setup       cpu, cores, memory_gb, load_start and load_end (1/5/15-min load averages), date
                (UTC, at start), wall_s, python, git_commit, git_dirty (tracked files changed) and
                package_commit (only when cosim was imported from another checkout)
    figures     the benchmark's last line

benchmarks/render_results.py turns the committed files into the tables of docs/benchmarks.md and
docs/reliability.md.

Benchmarks run as scripts (`python benchmarks/speed/lte_speed.py`), so each appends the repository
root to sys.path to import this module; appended, not prepended, so that cosim and llm_split still
come from the installed package.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def add_save_option(ap) -> None:
    ap.add_argument("--save", nargs="?", const="", default=None, metavar="FILE",
                    help="also write the final JSON record with its setup to FILE "
                         "(default benchmarks/results/<benchmark>.json), for benchmarks/render_results.py")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    except (OSError, StopIteration):
        return None
    return round(kb / 2**20, 1)


def _git(repo: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _command(argv: list[str]) -> str:
    script = Path(argv[0]).resolve()
    try:
        script = script.relative_to(ROOT)
    except ValueError:
        pass
    return shlex.join(["python", str(script), *argv[1:]])


def _package_root() -> Path | None:
    """The checkout the imported cosim package comes from (None when cosim is not imported)."""
    cosim = sys.modules.get("cosim")
    where = getattr(cosim, "__file__", None)
    return Path(where).resolve().parents[1] if where else None


class Run:
    """One run of a benchmark: its setup, noted at start, and its record, saved at the end."""

    def __init__(self, args) -> None:
        options = dict(vars(args))
        self.path = options.pop("save", None)
        self.name = Path(sys.argv[0]).stem
        self.command = _command(sys.argv)
        self.options = options
        self.t0 = time.perf_counter()
        self.setup = {"cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gb": _memory_gb(),
                      "load_start": _load(),
                      "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "python": platform.python_version()}

    def save(self, figures: dict) -> Path | None:
        """Writes the record when --save was given; returns its path (None without --save)."""
        if self.path is None:
            return None
        commit = _git(ROOT, "rev-parse", "HEAD")
        dirty = _git(ROOT, "status", "--porcelain", "--untracked-files=no")
        setup = {**self.setup, "load_end": _load(), "wall_s": round(time.perf_counter() - self.t0, 1),
                 "git_commit": commit, "git_dirty": None if dirty is None else bool(dirty)}
        package = _package_root()
        if package is not None and package != ROOT:  # cosim installed from another checkout
            setup["package_commit"] = _git(package, "rev-parse", "HEAD")
        path = Path(self.path) if self.path else RESULTS / f"{self.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"benchmark": self.name, "command": self.command, "options": self.options,
                  "setup": setup, "figures": figures}
        path.write_text(json.dumps(record, indent=1, default=str) + "\n")
        print(f"saved {path}", file=sys.stderr)
        return path
