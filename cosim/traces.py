"""Parquet traces of a run, written as the records arrive.

Each batch of records is appended at once to an Arrow IPC stream beside the trace
(``slots.parquet.arrows``), so whatever happens to either process, every batch received is on disk
and readable. When the run ends, normally or by an error the Python side survives (the simulator
died, Ctrl-C), the stream becomes the Parquet file, in row groups of ``rows_per_group`` rows (a
count, never a time, so the same run gives the same file), and the stream is removed. Should the
Python process itself be killed, :func:`read_slots` / :func:`read_packets` read the stream instead.

Columns are exactly the fields of the record formats (docs/records.md); ``packets.parquet`` adds
``lost`` (bool) and ``delay_ms`` (receive minus send time, NaN if lost).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from cosim.launcher import EVENT_DTYPE, SLOT_DTYPE

SLOTS_FILE = "slots.parquet"
PACKETS_FILE = "packets.parquet"
JOURNAL_SUFFIX = ".arrows"  # the Arrow IPC stream a trace is written to while the run lasts


def to_table(records: np.ndarray) -> pa.Table:
    """A structured numpy array as an Arrow table, one column per field."""
    return pa.table({name: records[name] for name in records.dtype.names})


def packet_table(events: np.ndarray) -> pa.Table:
    table = to_table(events)
    lost = events["t_recv_ns"] < 0
    delay = np.where(lost, np.nan, (events["t_recv_ns"] - events["t_send_ns"]) / 1e6)
    return table.append_column("lost", pa.array(lost)).append_column("delay_ms", pa.array(delay))


class _Stream:
    def __init__(self, path: Path, dtype: np.dtype, to_arrow, rows_per_group: int):
        self.path, self._to_arrow, self._rows = path, to_arrow, rows_per_group
        self.journal = path.with_name(path.name + JOURNAL_SUFFIX)
        self._schema = to_arrow(np.empty(0, dtype)).schema
        self._sink = pa.OSFile(str(self.journal), "wb")
        self._writer = ipc.new_stream(self._sink, self._schema)

    def write(self, records: np.ndarray) -> None:
        if len(records):
            self._writer.write_table(self._to_arrow(records))
            self._sink.flush()

    def close(self) -> None:
        self._writer.close()
        self._sink.close()
        table = _read_journal(self.journal, self._schema)
        pq.write_table(table, self.path, row_group_size=self._rows)
        self.journal.unlink()


def _read_journal(path: Path, schema: pa.Schema | None = None) -> pa.Table:
    """Every complete batch of a (possibly cut short) IPC stream."""
    batches = []
    with pa.OSFile(str(path), "rb") as f:
        try:
            reader = ipc.open_stream(f)
            schema = reader.schema
            for batch in reader:
                batches.append(batch)
        except (pa.ArrowInvalid, OSError):
            pass  # the writer was killed mid-batch: keep what is whole
    if schema is None:
        raise ValueError(f"{path}: no complete Arrow stream header")
    return pa.Table.from_batches(batches, schema=schema)


class TraceWriter:
    """Writes ``slots.parquet`` and ``packets.parquet`` into a run folder as records arrive."""

    def __init__(self, run_dir: str | Path, rows_per_group: int = 65_536):
        run_dir = Path(run_dir)
        self.slots = _Stream(run_dir / SLOTS_FILE, SLOT_DTYPE, to_table, rows_per_group)
        self.packets = _Stream(run_dir / PACKETS_FILE, EVENT_DTYPE, packet_table, rows_per_group)

    def write(self, slots: np.ndarray, events: np.ndarray) -> None:
        self.slots.write(slots)
        self.packets.write(events)

    def close(self) -> None:
        try:
            self.slots.close()
        finally:
            self.packets.close()

    def __enter__(self) -> "TraceWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def enb_position(run_dir: str | Path) -> tuple[float, float, float]:
    """The base station's position from the run's resolved config (origin if not recorded)."""
    import yaml

    path = Path(run_dir) / "config.yaml"
    if path.exists():
        pos = (yaml.safe_load(path.read_text()) or {}).get("radio", {}).get("enb_position")
        if pos:
            return tuple(float(v) for v in pos)
    return (0.0, 0.0, 0.0)


def read_trace(run_dir: str | Path, name: str):
    """A trace of a run as a pandas DataFrame: the Parquet file, or, after a hard crash of the
    Python side, the journal it left."""
    path = Path(run_dir) / name
    journal = path.with_name(path.name + JOURNAL_SUFFIX)
    if not path.exists() and journal.exists():
        return _read_journal(journal).to_pandas()
    return pq.read_table(path).to_pandas()


def read_slots(run_dir: str | Path):
    """The slot trace of a run as a pandas DataFrame (see read_trace)."""
    return read_trace(run_dir, SLOTS_FILE)


def read_packets(run_dir: str | Path):
    """The packet trace of a run as a pandas DataFrame (see read_trace)."""
    return read_trace(run_dir, PACKETS_FILE)
