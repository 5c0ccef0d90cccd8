"""Event-driven grants and batched quality give the same traces as one grant per slot and a tail
pass per request, with far fewer grants and tail passes.

Each case runs one split session twice on real ns-3 (same config and seed): the old way (one-slot
grants while transfers fly, each request's tail pass on the simulated clock's critical path) and
the new one (event-driven grants, deduplicated tail passes batched after the fact), and compares
slots, packets and requests Parquet files row for row.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from cosim.session.runner import run_session_file

BASE = {
    "name": "eg", "duration_s": 2.0, "seed": 3,
    "radio": {"bandwidth_rbs": 25, "scheduler": "pf", "rlc_mode": "UM"},
    "channel": {"propagation": "log_distance", "log_distance": {"exponent": 3.5}},
    "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 150},
    # a near UE, and a far one whose packets get lost or late
    "ue_groups": [{"count": 2, "placement": {"kind": "list", "positions": [[40, 0], [420, 0]]},
                   "mobility": {"kind": "constant_position"}}],
    "model": {"wire_dtype": "float16"},
    "requests": {"rate_per_s": 4.0, "prompt_tokens": 32, "windows": 4, "deadline_ms": 80},
    # the policy reads each UE's slot history: it must see the same slots in both modes
    "split": {"policy": "sinr_table", "k": 6, "table": [[15, 3], [5, 8], [-100, 14]]},
    "edge_server": {"capacity": 1, "device": "edge-gpu"},
}
CASES = {
    "sinr_table_um": {},
    "decoding_am": {"radio": {"bandwidth_rbs": 25, "rlc_mode": "AM"},
                    "transfer": {"payload_bytes": 1200, "loss_timeout_ms": 400},
                    "ue_groups": [{"count": 2, "placement": {"kind": "list", "positions": [[40, 0], [200, 0]]},
                                   "mobility": {"kind": "constant_position"}}],
                    "requests": {"rate_per_s": 3.0, "prompt_tokens": 16, "windows": 2, "decode_tokens": 2}},
}


@pytest.mark.slow  # four sessions: 2-4 minutes on 2 busy cores
@pytest.mark.parametrize("case", sorted(CASES))
def test_event_grants_keep_the_traces_of_one_slot_grants(tmp_path, case):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**BASE, **CASES[case]}))
    runs = {mode: run_session_file(path, out=tmp_path / mode, progress=False, event_grants=(mode == "event"),
                                   batch_quality=(mode == "event"))
            for mode in ("slot", "event")}
    for name in ("slots", "packets", "requests"):
        slot, event = (pd.read_parquet(runs[m] / f"{name}.parquet") for m in ("slot", "event"))
        assert len(slot) > 0, name
        pd.testing.assert_frame_equal(slot, event, obj=name, check_exact=True)
    req = pd.read_parquet(runs["event"] / "requests.parquet")
    assert len(req) >= 6 and req["ue"].nunique() == 2  # both UEs served
    if case == "sinr_table_um":
        assert req["packets_lost"].sum() > 0 and req["k"].nunique() > 1  # losses and policy choices were tested
    timing = {m: json.loads((runs[m] / "meta.json").read_text())["timing"] for m in runs}
    assert timing["event"]["grants"] * 5 < timing["slot"]["grants"], timing
    if case == "sinr_table_um":  # both ways run each (window, k, lost set) once
        assert 0 < timing["event"]["tail_passes"] == timing["slot"]["tail_passes"] < len(req), timing
