"""Train and held-out decision states with their real-evaluation tables, built once and cached.

The table of a state set holds the real perplexity of every (state, k) (see
:func:`mbrl.evaluator.build_table`); it is cached under
``${LAYERSPLIT_CACHE:-~/.cache/layersplit}/mbrl_tables/<hash>.npz`` (hash of the trace run
names, the evaluator config and the deadline). The model is loaded only when a table is missing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path


from .evaluator import EvalConfig, EvalTable, RealEvaluator, activation_layout, build_table
from .traces import Decisions, TraceConfig, load_decisions, record_traces


@dataclass
class Dataset:
    """Decisions and tables: ``train``/``test`` states, ``train_table``/``test_table``."""

    train: Decisions
    test: Decisions
    train_table: EvalTable
    test_table: EvalTable

    @property
    def n_layers(self) -> int:
        return self.train_table.n_layers


def _cache_root(trace_cfg: TraceConfig) -> Path:
    from llm_split import default_cache_dir

    return Path(trace_cfg.cache_dir).expanduser() if trace_cfg.cache_dir else default_cache_dir()


def _table(dec: Decisions, eval_cfg: EvalConfig, trace_cfg: TraceConfig, evaluator: list,
           progress: bool, table_cfg=None) -> EvalTable:
    key = json.dumps({"runs": dec.trace, "eval": eval_cfg.identity(), "deadline": float(trace_cfg.deadline_ms),
                      "n": len(dec)}, sort_keys=True)
    path = _cache_root(trace_cfg) / "mbrl_tables" / (hashlib.sha1(key.encode()).hexdigest()[:16] + ".npz")
    if path.exists():
        return EvalTable.load(path)
    if not evaluator:
        evaluator.append(RealEvaluator(eval_cfg))
    if progress:
        print(f"building real-evaluation table for {len(dec)} states -> {path}", flush=True)
    where = asdict(table_cfg) if table_cfg is not None else {}  # executor, workers, address
    table = build_table(evaluator[0], dec.window, dec.lost, progress=progress, **where)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    table.save(tmp)
    tmp.rename(path)
    return table


def prepare(trace_cfg: TraceConfig, eval_cfg: EvalConfig, progress: bool = False, table_cfg=None) -> Dataset:
    """Records (or reuses) the traces and builds (or reuses) the real-evaluation tables, a missing
    table where ``table_cfg`` (mbrl.config.TableConfig) says (default: in this process)."""
    probe_bytes, n_packets = activation_layout(eval_cfg)
    train_runs = record_traces(trace_cfg, probe_bytes, trace_cfg.train_seeds)
    test_runs = record_traces(trace_cfg, probe_bytes, trace_cfg.test_seeds)
    train = load_decisions(train_runs, n_packets, trace_cfg.deadline_ms, eval_cfg.n_windows)
    test = load_decisions(test_runs, n_packets, trace_cfg.deadline_ms, eval_cfg.n_windows)
    if not len(train) or not len(test):
        raise ValueError(f"traces: {len(train)} train and {len(test)} held-out decisions; "
                         "make duration_s longer or period_ms shorter")
    evaluator: list = []  # loaded on first need
    return Dataset(train, test, _table(train, eval_cfg, trace_cfg, evaluator, progress, table_cfg),
                   _table(test, eval_cfg, trace_cfg, evaluator, progress, table_cfg))
