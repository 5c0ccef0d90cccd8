"""A radio registered from outside cosim runs end to end: the smallest ns-3 program (slot_clock)
behind a toy schema, through `layersplit run`'s own path (docs/extending.md walks the same steps)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd
import pytest
import yaml

from cosim.config.checks import COMMON_TOP, ConfigError, Transfer, integer, section, settings
from cosim.radio import registry
from cosim.radio.scenario import load_any
from cosim.run.dispatch import run_config


@dataclass
class ClockRadio:
    technology: str = "clock"
    ues: int = 1


@dataclass
class ClockScenario:
    name: str = "clock"
    duration_s: float = 1.0
    seed: int = 1
    run: int = 1
    radio: ClockRadio = field(default_factory=ClockRadio)
    transfer: Transfer = field(default_factory=Transfer)
    extra: dict = field(default_factory=dict)

    @property
    def ue_count(self) -> int:
        return self.radio.ues


def _load(raw: dict, extra_sections) -> ClockScenario:
    extra = {k: raw.pop(k) for k in list(raw) if k in set(extra_sections)}
    sc = section("", raw, ClockScenario, {**COMMON_TOP, "radio": lambda p, v: section(p, v, ClockRadio, {
        "technology": lambda p2, v2: v2,
        "ues": lambda p2, v2: integer(p2, v2, 1, 8),
    })})
    sc.extra = extra
    return sc


def _launch(sc: ClockScenario, run_dir) -> tuple[str, list[str]]:
    return "slot_clock", [f"--ues={sc.radio.ues}", f"--duration-ms={sc.duration_s * 1000:.0f}", f"--seed={sc.seed}"]


def _resolved(sc: ClockScenario) -> dict:
    d = dataclasses.asdict(sc)
    extra = d.pop("extra")
    return {**settings(d), **extra}


@pytest.fixture
def clock_radio():
    radio = registry.register(registry.Radio("clock", ClockScenario, _load, _launch, _resolved))
    yield radio
    registry.unregister("clock")


def _write(tmp_path, **radio):
    path = tmp_path / "clock.yaml"
    path.write_text(yaml.safe_dump({"name": "toy", "duration_s": 0.5, "seed": 3,
                                    "radio": {"technology": "clock", **radio},
                                    "probes": [{"direction": "ul", "ue": "all", "bytes": 3000, "period_ms": 100,
                                                "start_s": 0.1}]}))
    return path


def test_a_registered_radio_runs_end_to_end(tmp_path, clock_radio):
    run_dir = run_config(_write(tmp_path, ues=2), out=tmp_path / "run", progress=False)
    slots = pd.read_parquet(run_dir / "slots.parquet")
    assert len(slots) == 2 * 500 and set(slots["ue"]) == {0, 1}  # one record per UE per 1 ms slot
    packets = pd.read_parquet(run_dir / "packets.parquet")
    assert len(packets) == 2 * 4  # the probes' transfers, echoed by slot_clock
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["radio"] == {"technology": "clock", "ues": 2} and saved["probes"][0]["bytes"] == 3000
    assert registry.of_scenario(load_any(run_dir / "config.yaml", extra_sections=("probes",))) is clock_radio


def test_the_registry_names_its_radios_in_errors(tmp_path, clock_radio):
    assert {"lte", "nr", "clock"} <= set(registry.names())
    with pytest.raises(ConfigError, match=r"radio\.technology: 'wifi' is not one of lte, nr, .*clock"):
        load_any(_write(tmp_path, technology="wifi"))
    with pytest.raises(ConfigError, match=r"radio\.ues: 9 must be <= 8"):
        load_any(_write(tmp_path, ues=9), extra_sections=("probes",))


def test_builtin_radios_are_found_by_their_scenarios(tmp_path):
    for tech in ("lte", "nr"):
        path = tmp_path / f"{tech}.yaml"
        path.write_text(yaml.safe_dump({"name": tech, "duration_s": 1, "radio": {"technology": tech}}))
        assert registry.of_scenario(load_any(path)) is registry.get(tech)
