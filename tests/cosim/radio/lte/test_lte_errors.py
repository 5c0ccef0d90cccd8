"""Bad configs give a ConfigError naming the key path (CLI: exit code 1, one line on stderr);
killing ns-3 mid-run leaves readable traces, a PeerGone error and meta.json status failed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from testkit.cells import lte_scenario
from cosim.cli import main

def _set(sc: dict, dotted: str, value) -> dict:
    node = sc
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    node[parts[-1]] = value
    return sc


BAD = [
    ("radio.bogus", 1, "radio.bogus: unknown key"),
    ("radio.bandwidth_rbs", 30, "radio.bandwidth_rbs: 30 is not one of 6, 15, 25, 50, 75, 100"),
    ("radio.bandwidth_rbs", "25", "radio.bandwidth_rbs: '25' is not one of"),
    ("radio.harq", "yes", "radio.harq: 'yes' is not a boolean"),
    ("duration_s", -1, "duration_s: -1 must be > 0"),
    ("channel.propagation", "free_space", "channel.propagation: 'free_space' is not one of friis"),
    ("channel.fading.speed_kmh", "fast", "channel.fading.speed_kmh: 'fast' is not a number"),
    ("ue_groups.0.count", 0, "ue_groups[0].count: 0 must be >= 1"),
    ("ue_groups.0.mobility", {"kind": "ns2", "file": "/nonexistent/moves.ns2"},
     "ue_groups[0].mobility.file: ns-2 trace file not found: /nonexistent/moves.ns2"),
    ("ue_groups.0.mobility.kind", "teleport", "ue_groups[0].mobility.kind: 'teleport' is not one of"),
    ("probes", [{"direction": "up"}], "probes[0].direction: 'up' is not one of ul, dl"),
    ("probes", [{"bytes": 10, "stop_s": 0.1, "start_s": 0.5}], "probes[0].stop_s: 0.1 is not a number > start_s"),
    ("probes", [{"times_s": [0.2, -1]}], "probes[0].times_s: [0.2, -1] is not a non-empty list of send times"),
    ("probes", [{"times_s": [0.2], "period_ms": 50}], "probes[0].times_s: give either times_s or period_ms"),
]


@pytest.mark.parametrize("key,value,message", BAD, ids=[b[0] + "=" + str(b[1])[:12] for b in BAD])
def test_bad_config_names_the_key(tmp_path, capsys, key, value, message):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(_set(lte_scenario(), key, value)))
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("layersplit run: error: "), err
    assert message in err
    assert not (tmp_path / "out").exists()


def test_bad_config_through_the_console_command(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(_set(lte_scenario(), "radio.scheduler", "fifo")))
    proc = subprocess.run([Path(sys.executable).with_name("layersplit"), "run", str(cfg), "--no-progress"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "radio.scheduler: 'fifo' is not one of pf, rr" in proc.stderr


def _child_lte_cell(parent: int, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            if comm == "lte_cell" and int(rest[1]) == parent:
                return int(d.name)
        time.sleep(0.05)
    raise TimeoutError("lte_cell did not start")


def test_killing_ns3_leaves_readable_traces(tmp_path):
    sc = lte_scenario(duration_s=120, positions=((50, 0), (120, 0)))
    sc["ue_groups"][0]["traffic"] = {"kind": "cbr", "direction": "both", "rate_bps": 2e6, "start_s": 0.05}
    sc["probes"] = [{"direction": "ul", "bytes": 2000, "period_ms": 20, "start_s": 0.1}]
    cfg, out = tmp_path / "long.yaml", tmp_path / "run"
    cfg.write_text(yaml.safe_dump(sc))
    cli = subprocess.Popen([Path(sys.executable).with_name("layersplit"), "run", str(cfg), "--out", str(out),
                            "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ns3 = _child_lte_cell(cli.pid)
        time.sleep(2.0)  # let some simulated seconds go by
        os.kill(ns3, signal.SIGKILL)
        _, err = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 1 and "Traceback" not in err
    assert "killed by signal 9" in err
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "failed" and meta["error"].startswith("PeerGone")
    slots = pq.read_table(out / "slots.parquet").to_pandas()
    packets = pq.read_table(out / "packets.parquet").to_pandas()
    assert len(slots) > 2000 and slots.t_ns.is_monotonic_increasing
    assert slots.t_ns.max() < 120e9 and (slots.seq.diff().dropna() == 1).all()
    assert len(packets) > 0
