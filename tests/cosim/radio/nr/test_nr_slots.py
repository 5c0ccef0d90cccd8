"""Slot records follow the numerology: one record per UE per slot of 1/2^mu ms."""

from __future__ import annotations

import numpy as np
import pytest

from testkit.cells import nr_scenario


@pytest.mark.parametrize("mu,bandwidth", [(0, 20), (1, 20), (2, 40), (3, 50)])
def test_slot_duration_follows_numerology(run_nr, mu, bandwidth):
    duration = 0.05
    run = run_nr(nr_scenario(duration, positions=((40, 0), (80, 0)),
                             radio={"numerology": mu, "bandwidth_mhz": bandwidth}))
    slot_ns = 1_000_000 // 2**mu
    for ue in (0, 1):
        t = run.slots[run.slots.ue == ue].t_ns.to_numpy()
        assert len(t) == round(duration * 1e9 / slot_ns)
        assert t[0] == 0 and np.all(np.diff(t) == slot_ns)
    assert run.config["derived"]["radio"]["slot_ms"] == 1 / 2**mu
