"""The bridge demo: a minimal ns-3 program streams its slots to Python, which summarises them."""

from __future__ import annotations

import time

import numpy as np

from cosim.bridge.launcher import Simulation

MS = 1_000_000


def run_demo(ues: int, duration_ms: int, grant_ms: int, seed: int) -> int:
    # UE indices are 16-bit in the records; more than 1024 UEs of slot_clock is not a demo any more.
    for field, value, hi in (("--ues", ues, 1024), ("--duration-ms", duration_ms, 10**8), ("--grant-ms", grant_ms, 10**6)):
        if not 1 <= value <= hi:
            raise ValueError(f"{field}: {value} is not in 1..{hi}")
    t0 = time.perf_counter()
    batches, counts, sinr_sum = 0, np.zeros(ues, np.int64), np.zeros(ues)
    last_seq = -1
    with Simulation("slot_clock", [f"--ues={ues}", f"--duration-ms={duration_ms}", f"--seed={seed}"]) as sim:
        while not sim.finished:
            slots, _ = sim.advance(sim.now_ns + grant_ms * MS)
            batches += 1
            if len(slots):
                if slots["seq"][0] != last_seq + 1 or np.any(np.diff(slots["seq"].astype(np.int64)) != 1):
                    raise RuntimeError("demo: slot records arrived out of sequence")
                last_seq = int(slots["seq"][-1])
                np.add.at(counts, slots["ue"], 1)
                np.add.at(sinr_sum, slots["ue"], slots["ul_sinr_db"])
    wall = time.perf_counter() - t0
    total = int(counts.sum())
    print(f"slot_clock: {duration_ms} ms simulated, {ues} UEs, grant every {grant_ms} ms ({batches} grants)")
    print(f"received {total} slot records in sequence in {wall:.2f} s wall ({total / wall:,.0f} records/s)")
    for ue in range(ues):
        print(f"  UE {ue}: {counts[ue]} slots, mean UL SINR {sinr_sum[ue] / max(counts[ue], 1):.2f} dB")
    return 0
