"""Round trips and streaming through the bridge, beside a ZeroMQ REQ/REP baseline (the transport
ns3-gym uses) and a two-process shared-memory floor, all measured in this one run.

The C++ side (cosim/bin/bridge_peer, cosim/bin/zmq_peer) sends a 64-byte record and waits;
Python replies with 16 bytes (for the bridge: a grant, i.e. sequence number and horizon).
Python is pinned to CPU 0 and the C++ side to CPU 1 where the machine has two.

    python benchmarks/speed/bridge_rtt.py [--n 100000] [--gap-n 3000] [--spin-us 0 20]

(a) back to back; (b) ZeroMQ REQ/REP over 127.0.0.1 TCP; (c) two C++ processes spinning on
shared memory; (d) 300 us of busy work before each exchange: added cost per step = mean step
time minus the work-only step time; (e) horizon mode, a grant every 100 steps, as added cost per
step; (f) streaming throughput. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from cosim import Simulation
from cosim.bridge.programs import program_path

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402

PY_CPU, PEER_CPU = 0, 1
TWO_CPUS = (os.cpu_count() or 1) > 1


def _pin(pid: int, cpu: int) -> None:
    if TWO_CPUS:
        os.sched_setaffinity(pid, {cpu})


def _peer(*args: str) -> str:
    proc = subprocess.run([str(program_path("bridge_peer")), *args], check=True, capture_output=True, text=True,
                          preexec_fn=(lambda: _pin(0, PEER_CPU)))
    return proc.stdout.strip()


def _stats(us: np.ndarray) -> dict:
    return {"median": float(np.median(us)), "p99": float(np.percentile(us, 99)), "mean": float(us.mean())}


def bridge_steps(n: int, work_iters: int = 0, every: int = 1, spin_us: float = 0.0) -> tuple[np.ndarray, float, int]:
    """Runs n peer steps, granting ``every`` steps at a time. Returns per-grant times (us),
    total wall seconds and records received."""
    args = ["--mode=steps", f"--n={n}", f"--work-iters={work_iters}", f"--spin-ns={int(spin_us * 1000)}"]
    with Simulation(program_path("bridge_peer"), args, start_timeout_s=10) as sim:
        _pin(sim.pid, PEER_CPU)
        seg = sim._seg  # the raw segment: the loop below is what the benchmark times
        seg.spin_us = spin_us
        times = np.empty((n + every - 1) // every)
        received = 0
        t_start = time.perf_counter_ns()
        for i in range(len(times)):
            t0 = time.perf_counter_ns()
            seg.grant(min((i + 1) * every, n))
            slots, _ = seg.collect(-1.0)
            times[i] = (time.perf_counter_ns() - t0) / 1e3
            received += len(slots)
        wall = (time.perf_counter_ns() - t_start) / 1e9
    return times, wall, received


def zmq_steps(n: int, work_iters: int = 0) -> np.ndarray:
    import zmq

    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    peer = subprocess.Popen([str(program_path("zmq_peer")), f"tcp://127.0.0.1:{port}", str(n), str(work_iters)],
                            preexec_fn=(lambda: _pin(0, PEER_CPU)))
    reply = b"\0" * 16
    times = np.empty(n)
    rep.recv()
    for i in range(n):  # each iteration: reply, then the peer's next state (after its work)
        t0 = time.perf_counter_ns()
        rep.send(reply)
        if i < n - 1:
            rep.recv()
        times[i] = (time.perf_counter_ns() - t0) / 1e3
    peer.wait(timeout=60)
    rep.close(0)
    ctx.term()
    return times[:-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="round trips for (a), (b), (c) and steps for (e)")
    ap.add_argument("--gap-n", type=int, default=3_000, help="steps with 300 us of work for (d)")
    ap.add_argument("--stream-n", type=int, default=5_000_000, help="records for (f)")
    ap.add_argument("--spin-us", type=float, nargs="+", default=[20.0, 0.0],
                    help="spin-before-sleep settings to compare; the first is the bridge's default")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    if TWO_CPUS:
        os.sched_setaffinity(0, {PY_CPU})
    cpu = rec.setup["cpu"]
    print(f"setup: {platform.node()} {cpu}, {os.cpu_count()} vCPUs, Python pinned to CPU {PY_CPU}, "
          f"C++ side to CPU {PEER_CPU if TWO_CPUS else 'same'}; record 64 B, reply 16 B")

    floor_med, floor_p99 = map(float, _peer("--mode=floor", f"--n={args.n}").split())
    print(f"(c) floor, two C++ processes spinning on shm: median {floor_med:.2f} us, p99 {floor_p99:.2f} us")

    results = {}
    for spin in args.spin_us:
        t, _, got = bridge_steps(args.n, spin_us=spin)
        assert got == args.n, f"bridge lost records: {got} of {args.n}"
        results[spin] = _stats(t)
        print(f"(a) bridge back to back, spin {spin:g} us: median {results[spin]['median']:.2f} us, "
              f"p99 {results[spin]['p99']:.2f} us ({args.n} round trips)")
    zmq = _stats(zmq_steps(args.n))
    print(f"(b) ZeroMQ REQ/REP tcp 127.0.0.1: median {zmq['median']:.2f} us, p99 {zmq['p99']:.2f} us")

    work_iters = int(_peer("--mode=calibrate", "--work-us=300"))
    work_us = float(_peer("--mode=work", f"--n={args.gap_n}", f"--work-iters={work_iters}"))
    print(f"(d) work-only step: {work_us:.1f} us ({work_iters} iterations)")
    gap = {}
    for spin in args.spin_us:
        t, _, _ = bridge_steps(args.gap_n, work_iters, spin_us=spin)
        gap[spin] = t.mean() - work_us
        print(f"(d) bridge with work, spin {spin:g} us: step {t.mean():.1f} us, added {gap[spin]:.1f} us")
    zt = zmq_steps(args.gap_n, work_iters)
    gap_zmq = zt.mean() - work_us
    print(f"(d) ZeroMQ with work: step {zt.mean():.1f} us, added {gap_zmq:.1f} us")

    default = args.spin_us[0]
    _, wall, got = bridge_steps(args.n, every=100, spin_us=default)
    horizon_us = wall * 1e6 / args.n
    print(f"(e) horizon, a grant every 100 steps, no work: {horizon_us:.3f} us per step (all of it bridge cost), "
          f"{got} records")
    _, wall, got = bridge_steps(args.stream_n, every=args.stream_n, spin_us=default)
    rate = got / wall
    print(f"(f) streaming {got} records under one grant: {rate / 1e6:.2f} M records/s")

    out = {
        "bridge_rtt_us": results[default]["median"], "bridge_rtt_p99_us": results[default]["p99"],
        "zmq_rtt_us": zmq["median"], "floor_rtt_us": floor_med, "gap_work_us": work_us,
        "gap_bridge_added_us": gap[default], "gap_zmq_added_us": gap_zmq,
        "horizon_added_us_per_slot": horizon_us, "stream_records_per_s": rate,
    }
    print(json.dumps(out))
    rec.save(out)


if __name__ == "__main__":
    main()
