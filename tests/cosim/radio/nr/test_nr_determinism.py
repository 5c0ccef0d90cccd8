"""Same seed, same traces (fading and shadowing on); another seed, other traces."""

from __future__ import annotations

import pandas as pd

from testkit.cells import nr_scenario


def test_same_seed_same_traces(run_nr):
    sc = nr_scenario(0.25, positions=((60, 10), (150, -40)), traffic={"kind": "cbr", "rate_bps": 2e6, "start_s": 0.05},
                     channel={"fading": True, "shadowing": True}, probes=[{"bytes": 20000, "times_s": [0.1]}])
    a, b = run_nr(sc, "a"), run_nr(sc, "b")
    c = run_nr(sc, "c", seed=2)
    pd.testing.assert_frame_equal(a.slots, b.slots)
    pd.testing.assert_frame_equal(a.packets, b.packets)
    assert not a.slots[["ul_sinr_db", "dl_sinr_db"]].equals(c.slots[["ul_sinr_db", "dl_sinr_db"]])
