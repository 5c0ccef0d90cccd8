"""Any cell scenario: a built-in radio's (picked by ``radio.technology`` from cosim.radio.registry)
or one run by a user's own ns-3 program (built with layersplit's CosimHelper). For the latter the
YAML names the program; the cell itself is whatever the program builds::

    name: two_cells
    duration_s: 10
    seed: 1
    program:
      path: build/two_cells          # relative to this YAML file's folder, or absolute
      args: ["--interferer=true"]    # the program's own options
      ues: 2                         # optional: the program reports its UEs; a different count is refused
    transfer: {payload_bytes: 1000, loss_timeout_ms: 1000}
    # probes / model / requests / split ... as for the built-in cell

The program gets ``--bridge=NAME`` from the launcher plus the options CosimHelper adds to its
command line: ``--duration``, ``--seed``, ``--run``, ``--payload-bytes``, ``--loss-timeout-ms``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Mapping

from cosim.config.checks import (COMMON_TOP, ConfigError, Int, ListOf, Section, Str, Transfer, apply_overrides,
                                 drop_derived, load_yaml, settings)
from cosim.radio import registry


@dataclass
class Program:
    path: str = ""
    args: tuple[str, ...] = ()
    ues: int | None = None  # None: as many as the program installed (it reports them)


@dataclass
class ProgramScenario:
    """A scenario whose cell is built by a user's program; same attributes the runners use."""

    name: str = "program"
    duration_s: float = 10.0
    seed: int = 1
    run: int = 1
    program: Program = field(default_factory=Program)
    transfer: Transfer = field(default_factory=Transfer)
    extra: dict = field(default_factory=dict)

    @property
    def ue_count(self) -> int | None:
        """UEs the program streams; None until the program has reported them (adopt_geometry)."""
        return self.program.ues


def _check_program(base: Path, path: str, p: Program) -> None:
    """Resolves the program against the YAML file's folder; it must be an executable file."""
    exe = Path(p.path).expanduser()
    exe = exe if exe.is_absolute() else base / exe
    if not p.path or not exe.is_file() or not os.access(exe, os.X_OK):
        raise ConfigError(f"{path}.path: {p.path!r} is not an executable file (looked at {exe}); "
                          f"build your script first (docs/own-scripts.md)")
    p.path = str(exe)


PROGRAM_FIELDS = {
    "path": Str(),
    "args": ListOf(Str(), 1000, into=tuple),
    "ues": Int(1, 64),
}


def _program(base: Path) -> Section:
    return Section(Program, PROGRAM_FIELDS, check=partial(_check_program, base))


def schema(base: Path) -> Section:
    """An own-program scenario's keys; ``program.path`` is resolved against ``base``."""
    return Section(ProgramScenario, {**COMMON_TOP, "program": _program(base)})


def load_any(source: str | Path, overrides: Mapping[str, Any] | None = None,
             extra_sections: Iterable[str] = ()) -> Any:
    """A built-in cell scenario of its radio, or a program scenario when the YAML has a ``program``
    section."""
    path = Path(source)
    raw = apply_overrides(load_yaml(path, "scenario"), overrides)  # one override path for every schema
    if "program" not in raw:
        return registry.get(registry.technology(raw)).load(raw, extra_sections)
    extra = {k: raw.pop(k) for k in list(raw) if k in set(extra_sections)}
    sc = schema(path.resolve().parent)("", drop_derived(raw))
    if "program" not in raw:
        raise ConfigError("program: required")
    sc.extra = extra
    return sc


def launch(sc: Any, run_dir: Path) -> tuple[str, list[str]]:
    """(program, arguments) that run the scenario under the bridge."""
    radio = registry.of_scenario(sc)
    if radio is not None:
        return radio.launch(sc, run_dir)
    return sc.program.path, [*sc.program.args, f"--duration={sc.duration_s}", f"--seed={sc.seed}",
                             f"--run={sc.run}", f"--payload-bytes={sc.transfer.payload_bytes}",
                             f"--loss-timeout-ms={sc.transfer.loss_timeout_ms}"]


def resolved(sc: Any) -> dict[str, Any]:
    """For saving beside the traces: every setting after defaults (it loads back as the same
    scenario) and, for a built-in cell, what the settings resolved to (``derived``)."""
    radio = registry.of_scenario(sc)
    if radio is not None:
        return radio.resolved(sc)
    import dataclasses

    d = dataclasses.asdict(sc)
    extra = d.pop("extra")
    return {**settings(d), **extra}


GEOMETRY_FILE = "geometry.json"


def adopt_geometry(sc: Any, geometry: dict | None, run_dir: Path) -> None:
    """Takes what the program built (its UE count and cell positions, published as it attached)
    into the scenario, refusing a YAML that contradicts it, and saves it beside the traces."""
    import json

    if geometry is None:
        if isinstance(sc, ProgramScenario):
            raise ConfigError(f"program.path: {sc.program.path} did not report its cell (UE count, position); "
                              f"rebuild it against this layersplit (CosimHelper publishes them)")
        return
    ues = int(geometry["ues"])
    if isinstance(sc, ProgramScenario):
        if sc.program.ues is not None and sc.program.ues != ues:
            raise ConfigError(f"program.ues: {sc.program.ues}, but {Path(sc.program.path).name} installed {ues} UEs; "
                              f"remove program.ues (the program reports its UEs) or set it to {ues}")
        sc.program.ues = ues
    saved = {"ues": ues, "cell_position": list(geometry["cell_position"])}
    if geometry.get("cells"):  # every cell, as slot records name them (cell_id)
        saved["cells"] = [{"cell_id": int(c["cell_id"]), "position": list(c["position"])} for c in geometry["cells"]]
    (run_dir / GEOMETRY_FILE).write_text(json.dumps(saved))


def start_simulation(sc: Any, run_dir: Path):
    """Launches the scenario's program under the bridge (logging to run_dir/ns3.log) and adopts
    its geometry; the caller closes the returned cosim.bridge.launcher.Simulation."""
    from cosim.bridge.launcher import Simulation

    program, args = launch(sc, run_dir)
    sim = Simulation(program, args, log_path=run_dir / "ns3.log")
    try:
        adopt_geometry(sc, sim.geometry, run_dir)
    except BaseException:
        sim.close()
        raise
    return sim
