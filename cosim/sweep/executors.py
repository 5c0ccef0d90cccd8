"""Independent tasks on a local process pool, on Ray, or in this process: what sweeps, the
agent's real-evaluation tables and benchmarks/agent_live.py run on.

Executors:

- ``local``: a ``ProcessPoolExecutor`` with the spawn context (fresh interpreters: no inherited
  threads or locks), ``workers`` processes (default: this machine's CPUs), each running tasks one
  at a time and kept for the whole call (a task may keep a loaded model in its process); each
  worker dies with the process that started it, SIGKILL included (cosim.sweep.lifeline);
- ``ray``: Ray (``pip install 'layersplit[ray]'``): ``ray.init(address=...)`` joins a cluster
  ("auto", "ray://head:10001"), without an address a local Ray of ``workers`` CPUs; a Ray already
  initialised in this process (or this process a Ray worker) is used as it is. One CPU per task.
  A ``host:port`` address is checked first (:func:`check_ray_address`): nothing answering there
  as a Ray head does is a ConfigError naming it within ``connect_timeout_s``, where Ray itself
  would retry for minutes;
- ``serial``: every task in this process, in order, with this process's own thread settings.

In the pool and on Ray, torch threads are fixed to ``threads`` in each task's process before it
runs, so a task's numbers do not depend on the executor (give ``threads`` = the caller's torch
threads when comparing with ``serial``). ``fn`` must be importable by name in the workers (a
module-level function, or a functools.partial of one); the items and results are pickled.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Callable, Iterator, Sequence

from cosim.config.checks import ConfigError
from cosim.sweep import lifeline

EXECUTORS = ("local", "ray", "serial")


class TaskError(RuntimeError):
    """A task of :func:`map_tasks` failed; the message names the task and its error (``__cause__``)."""


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pin_threads(threads: int) -> None:
    """torch threads of this process fixed to ``threads``; the variable covers a torch imported
    later, without paying its import in tasks that never use it."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def _call(fn: Callable, item: Any, threads: int) -> Any:
    pin_threads(threads)
    with lifeline.busy():  # in a pool worker whose driver died: the task cleans up, the worker ends
        return fn(item)


RAY_CONNECT_TIMEOUT_S = 5.0  # a Ray head answers at once; its own retries would last minutes
# What an HTTP/2 client sends first (the preface, then an empty SETTINGS frame); a gRPC server,
# as Ray's head (GCS) and its Ray Client server are, answers with a SETTINGS frame of its own.
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_H2_SETTINGS = 4


def check_ray_address(address: str, timeout_s: float = RAY_CONNECT_TIMEOUT_S) -> None:
    """ConfigError naming ``address`` unless a gRPC server (a Ray head, or a Ray Client server for
    ``ray://``) answers at it within ``timeout_s``. "auto" and "local" are left to Ray, which
    looks the cluster up itself."""
    hostport = _host_port(address)
    if hostport is None:
        return
    import socket

    deadline = time.monotonic() + timeout_s
    try:
        with socket.create_connection(hostport, timeout=timeout_s) as sock:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.sendall(_H2_PREFACE)
            head = _read(sock, 9)
    except socket.timeout:
        raise _unreachable(address, f"no answer within {timeout_s:g} s") from None
    except OSError as exc:
        raise _unreachable(address, exc.strerror or str(exc)) from None
    if not head:
        raise _unreachable(address, "the connection was closed without an answer")
    if len(head) < 9 or head[3] != _H2_SETTINGS:
        raise _unreachable(address, "something answers there, but not as a Ray head (gRPC) does")


def _host_port(address: str) -> tuple[str, int] | None:
    if address in ("auto", "local"):
        return None
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"address: {address!r} is not host:port, ray://host:port, auto or local")
    return host.strip("[]"), int(port)


def _read(sock, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _unreachable(address: str, why: str) -> ConfigError:
    return ConfigError(f"address: no Ray cluster at {address} ({why}); start one there with `ray start --head`, "
                       f"or give no address for a local Ray")


def run_tasks(fn: Callable, items: Sequence, executor: str = "local", workers: int | None = None,
              address: str | None = None, threads: int = 1,
              connect_timeout_s: float = RAY_CONNECT_TIMEOUT_S) -> Iterator[tuple[int, Any, BaseException | None]]:
    """Runs ``fn(item)`` for every item; yields ``(index, result, None)`` or ``(index, None, error)``
    as each task finishes (in any order). A failed task stops nothing else; closing the iterator
    (or Ctrl-C) cancels the tasks not started."""
    if executor not in EXECUTORS:
        raise ConfigError(f"executor: {executor!r} is not one of {', '.join(EXECUTORS)}")
    if not items:
        return
    if executor == "serial":
        for i, item in enumerate(items):
            try:
                result = fn(item)
            except Exception as exc:
                yield i, None, exc
            else:
                yield i, result, None
    elif executor == "local":
        yield from _run_local(fn, items, min(workers or default_workers(), len(items)), threads)
    else:
        yield from _run_ray(fn, items, workers, address, threads, connect_timeout_s)


def _run_local(fn, items, workers, threads):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Each worker dies with this process, SIGKILL included (cosim.sweep.lifeline).
    main_thread = threading.current_thread() is threading.main_thread()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=lifeline.tie_to_parent, initargs=(os.getpid(), main_thread))
    try:
        futures = {pool.submit(_call, fn, item, threads): i for i, item in enumerate(items)}
        for fut in as_completed(futures):
            try:
                result, error = fut.result(), None
            except Exception as exc:  # the task's own error, or its process died (e.g. killed)
                result, error = None, exc
            yield futures[fut], result, error
    except BaseException:  # Ctrl-C, SIGTERM, an error or the caller stopped early: drop the queued
        workers = list((pool._processes or {}).values())  # tasks and stop the running ones, which clean up
        pool.shutdown(wait=False, cancel_futures=True)
        lifeline.stop_workers(workers)
        raise
    pool.shutdown()


def _run_ray(fn, items, workers, address, threads, connect_timeout_s):
    try:
        import ray
        from ray.exceptions import RayTaskError
    except ImportError:
        raise ConfigError("executor: ray needs Ray: pip install 'layersplit[ray]'") from None
    started = not ray.is_initialized()
    if started:
        if address:
            check_ray_address(address, connect_timeout_s)
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or default_workers(), include_dashboard=False, log_to_driver=False)
    pending: list = []
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(_call)
        refs = {task.remote(fn, item, threads): i for i, item in enumerate(items)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                result, error = ray.get(done[0]), None
            except RayTaskError as exc:  # the task's own error (its traceback is in the message)
                result, error = None, getattr(exc, "cause", None) or exc
            except Exception as exc:  # its worker died
                result, error = None, exc
            yield refs[done[0]], result, error
    finally:
        for ref in pending:  # after Ctrl-C or an early stop: a cluster would run them on
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


def map_tasks(fn: Callable, items: Sequence, executor: str = "local", workers: int | None = None,
              address: str | None = None, threads: int = 1, names: Sequence[str] | None = None,
              on_result: Callable[[int, Any], None] | None = None) -> list:
    """``[fn(item) for item in items]`` on an executor (module doc), results in input order.

    The first task that fails raises :class:`TaskError` naming it (``names[i]``, else its index
    and item) with its error, and cancels the tasks not started. ``on_result(i, result)`` is
    called as each task finishes (progress)."""
    items = list(items)
    out: list = [None] * len(items)
    for i, result, error in run_tasks(fn, items, executor, workers, address, threads):
        if error is not None:
            name = names[i] if names is not None else f"{i}: {getattr(fn, '__name__', fn)}({items[i]!r:.200})"
            raise TaskError(f"task {name} failed: {type(error).__name__}: {error}") from error
        out[i] = result
        if on_result is not None:
            on_result(i, result)
    return out
