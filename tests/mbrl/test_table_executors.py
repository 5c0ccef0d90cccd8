"""Bulk real evaluations through cosim.sweep.executors: a real-evaluation table built in this process,
on a local pool of 2 processes and on a local Ray gives the same numbers, whatever the caller's
torch threads; a failing task names itself."""
import math

import numpy as np
import pytest
import torch

from cosim.sweep.executors import TaskError, map_tasks
from mbrl.config import parse_config
from mbrl.evaluator import EvalConfig, RealEvaluator, build_table

EVAL = EvalConfig(prompt_tokens=16, n_windows=2)
# 6 states, 4 distinct (window, lost) keys: in batches of 3, two batches per k (one of 3, one of 1)
WINDOWS = np.array([0, 1, 0, 1, 0, 1])
LOST = [frozenset({0, 1}), frozenset({3}), frozenset({0, 1}), frozenset({5, 6, 7}), frozenset(), frozenset({3})]


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def serial():
    ev = RealEvaluator(EVAL)
    return ev, build_table(ev, WINDOWS, LOST, batch=3)


def test_local_pool_and_ray_build_the_same_table_as_serial(serial, ray_session):
    ev, table = serial
    assert torch.get_num_threads() == 1  # tests/mbrl/conftest.py; the workers get the same
    assert table.build["tail_passes"] == 4 * (ev.n_layers + 1) and table.ppl.shape == (6, ev.n_layers + 1)
    assert np.array_equal(table.ppl[0], table.ppl[2]) and (table.ppl[:4] > table.clean[:4, None] * 0.99).all()
    for executor in ("local", "ray"):
        other = build_table(ev, WINDOWS, LOST, batch=3, executor=executor, workers=2)
        # the same batches per k in every executor: equal bit for bit, not merely close
        np.testing.assert_array_equal(other.ppl, table.ppl, err_msg=executor)
        np.testing.assert_array_equal(other.clean, table.clean)
        assert other.build["tail_passes"] == table.build["tail_passes"] and other.build["executor"] == executor


def test_tail_passes_run_at_table_threads_whatever_the_caller(serial, monkeypatch):
    from mbrl.evaluator import TABLE_THREADS

    ev, table = serial
    seen, batch = [], ev.ppl_batch
    monkeypatch.setattr(ev, "ppl_batch", lambda k, items: seen.append(torch.get_num_threads()) or batch(k, items))
    torch.set_num_threads(2)
    try:
        again = build_table(ev, WINDOWS, LOST, batch=3)
        assert torch.get_num_threads() == 2  # the caller's count comes back
    finally:
        torch.set_num_threads(1)
    assert seen and set(seen) == {TABLE_THREADS}
    np.testing.assert_array_equal(again.ppl, table.ppl)


def test_a_failing_task_names_itself_on_every_executor(ray_session):
    assert map_tasks(math.sqrt, [4.0, 9.0], "local", workers=2) == [2.0, 3.0]
    for executor in ("serial", "local", "ray"):
        with pytest.raises(TaskError, match=r"task minus one failed: ValueError: math domain error") as info:
            map_tasks(math.sqrt, [4.0, -1.0, 9.0], executor, workers=2, names=["four", "minus one", "nine"])
        assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(TaskError, match=r"task 1: sqrt\(-1.0\) failed"):
        map_tasks(math.sqrt, [4.0, -1.0], "serial")


def test_a_failing_table_batch_names_its_k_and_keys(serial):
    ev = serial[0]
    with pytest.raises(TaskError, match=r"task table k=0, keys \(0, frozenset\(\{999\}\)\).*failed"):
        build_table(ev, np.array([0]), [frozenset({999})], executor="local", workers=1)


def test_table_section_of_the_training_config():
    assert parse_config({}).table.executor == "serial"
    cfg = parse_config({"table": {"executor": "ray", "address": "auto"}})
    assert (cfg.table.executor, cfg.table.address, cfg.table.workers) == ("ray", "auto", None)
    with pytest.raises(ValueError, match="table.executor: 'dask' is not one of local, ray, serial"):
        parse_config({"table": {"executor": "dask"}})
    with pytest.raises(ValueError, match="table.workers: 0 must be"):
        parse_config({"table": {"workers": 0}})
    with pytest.raises(ValueError, match="table.batch: unknown key"):
        parse_config({"table": {"batch": 8}})
