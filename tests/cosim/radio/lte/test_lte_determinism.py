"""Same config and seed: identical Parquet contents, also when rerun from a run's saved
config.yaml; another seed: different."""

from __future__ import annotations

import pyarrow.parquet as pq

from testkit.cells import lte_scenario
from cosim.outputs.traces import PACKETS_FILE, SLOTS_FILE


def _scenario() -> dict:
    sc = lte_scenario(duration_s=0.5, positions=((60, 0), (150, 40)),
                      mobility={"kind": "random_walk", "speed_min_mps": 5, "speed_max_mps": 20, "walk_step": 0.1},
                      channel={"fading": {"model": "epa", "speed_kmh": 30, "trace_length_s": 2}})
    sc["ue_groups"][0]["placement"] = {"kind": "disc", "radius_min_m": 30, "radius_max_m": 200}
    sc["probes"] = [{"direction": "ul", "bytes": 3000, "period_ms": 50, "start_s": 0.1},
                    {"direction": "dl", "bytes": 3000, "period_ms": 50, "start_s": 0.1}]
    return sc


def _tables(run):
    return [pq.read_table(run.path / f).to_pandas() for f in (SLOTS_FILE, PACKETS_FILE)]


def _bytes(run):
    return [(run.path / f).read_bytes() for f in (SLOTS_FILE, PACKETS_FILE)]


def test_same_seed_same_traces_other_seed_differs(run_lte):
    first = run_lte(_scenario(), "a")
    # the saved config (settings plus what they resolved to) runs as it is, and with overrides
    runs = [first, run_lte(first.config, "b"), run_lte(first.config, "c", seed=2)]
    assert runs[1].config == first.config and runs[2].config["derived"] != first.config["derived"]
    a, b, c = map(_tables, runs)
    assert len(a[0]) == 1000 and len(a[1]) > 0
    assert a[0].equals(b[0]) and a[1].equals(b[1])  # pandas: NaN == NaN in the same place
    assert _bytes(runs[0]) == _bytes(runs[1])
    assert not a[0].equals(c[0])
    # the seed reaches placement, mobility and the radio
    sa, sc_ = a[0], c[0]
    assert (sa[["x", "y"]].to_numpy() != sc_[["x", "y"]].to_numpy()).any()
    assert not sa.ul_sinr_db.equals(sc_.ul_sinr_db)
