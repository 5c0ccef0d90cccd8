"""A Ray address where no cluster answers is an error naming it within seconds (issue 29: Ray's own
retries hung `layersplit sweep --executor ray --address 127.0.0.1:1` for 330 s, and SIGINT took
38 s to end it). Real processes: the `layersplit sweep` CLI, real sockets, a real local Ray head."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import yaml

from cosim.config.checks import ConfigError
from cosim.sweep.executors import check_ray_address
from cosim.testing.runs import LAYERSPLIT

HEAD = """
import sys, ray
ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
ray.shutdown()
"""


def _sweep_file(tmp_path, **extra):
    (tmp_path / "cell.yaml").write_text(yaml.safe_dump({"name": "ra", "duration_s": 1.0, "ue_groups": [{"count": 1}]}))
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"base": "cell.yaml", "points": [{"seed": 1}], **extra}))
    return path


def _sweep(spec, out, address):
    return subprocess.Popen([*LAYERSPLIT, "sweep", str(spec), "--out", str(out), "--no-progress", "--executor", "ray",
                             "--address", address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def silent():
    """A port that accepts connections (the kernel completes them) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


def test_a_sweep_on_an_address_where_nothing_listens_fails_at_once_naming_it(tmp_path):
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = _sweep(_sweep_file(tmp_path), out, "127.0.0.1:1")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and time.monotonic() - t0 < 30, err
    assert err == ("layersplit sweep: error: address: no Ray cluster at 127.0.0.1:1 (Connection refused); start one "
                   "there with `ray start --head`, or give no address for a local Ray\n"), err
    assert not out.exists()  # refused before the folder was made


def test_a_port_that_never_answers_is_an_error_after_connect_timeout_s(tmp_path, silent):
    port = silent.getsockname()[1]
    proc = _sweep(_sweep_file(tmp_path, connect_timeout_s=1), tmp_path / "out", f"127.0.0.1:{port}")
    silent.settimeout(60)
    conn, _ = silent.accept()  # the sweep is connected and waiting
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    conn.close()
    assert proc.returncode == 1 and time.monotonic() - t0 < 5, err
    assert f"address: no Ray cluster at 127.0.0.1:{port} (no answer within 1 s)" in err and err.count("\n") == 1


def test_sigint_while_waiting_for_a_cluster_ends_the_sweep_at_once(tmp_path, silent):
    port = silent.getsockname()[1]
    proc = _sweep(_sweep_file(tmp_path, connect_timeout_s=300), tmp_path / "out", f"127.0.0.1:{port}")
    silent.settimeout(60)
    conn, _ = silent.accept()
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    conn.close()
    assert time.monotonic() - t0 < 3 and proc.returncode != 0, err
    assert "Traceback" not in err, err


def test_a_server_that_is_not_a_ray_head_is_named(silent):
    def answer():
        conn, _ = silent.accept()
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        conn.close()
    threading.Thread(target=answer, daemon=True).start()
    port = silent.getsockname()[1]
    with pytest.raises(ConfigError, match=rf"^address: no Ray cluster at 127.0.0.1:{port} \(something answers "
                                          r"there, but not as a Ray head \(gRPC\) does\)"):
        check_ray_address(f"127.0.0.1:{port}", 5)


@pytest.mark.parametrize("address", ["head", "ray://:10001", "head:port", "head:70000"])
def test_an_address_that_is_not_host_port_is_named(address):
    with pytest.raises(ConfigError, match=r"is not host:port, ray://host:port, auto or local$"):
        check_ray_address(address)


def test_a_real_ray_head_passes_the_check():
    pytest.importorskip("ray")
    head = subprocess.Popen([sys.executable, "-c", HEAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        address = head.stdout.readline().strip()
        assert address, "the Ray head did not start"
        t0 = time.monotonic()
        check_ray_address(address, 5)
        assert time.monotonic() - t0 < 1
    finally:
        head.communicate("", timeout=120)
