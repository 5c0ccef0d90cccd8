"""Parquet traces of a run, written as the records arrive.

Records are buffered and written as Parquet row groups of ``rows_per_group`` rows (a count, never
a time, so that the same run gives the same files). The writers are closed in ``finally`` blocks:
when the simulator dies, or the run is interrupted, everything received so far is on disk and
readable.

Columns are exactly the fields of the record formats in cpp_ext/include/layersplit/records.hpp;
``packets.parquet`` adds ``lost`` (bool) and ``delay_ms`` (receive minus send time, NaN if lost).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cosim.launcher import EVENT_DTYPE, SLOT_DTYPE

SLOTS_FILE = "slots.parquet"
PACKETS_FILE = "packets.parquet"


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
        self._pending: list[np.ndarray] = []
        self._count = 0
        self._writer = pq.ParquetWriter(path, to_arrow(np.empty(0, dtype)).schema)

    def write(self, records: np.ndarray) -> None:
        if len(records):
            self._pending.append(records)
            self._count += len(records)
        while self._count >= self._rows:
            self._flush(self._rows)

    def _flush(self, rows: int) -> None:
        merged = np.concatenate(self._pending)
        self._writer.write_table(self._to_arrow(merged[:rows]))
        rest = merged[rows:]
        self._pending, self._count = ([rest] if len(rest) else []), len(rest)

    def close(self) -> None:
        if self._count:
            self._flush(self._count)
        self._writer.close()


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


def read_slots(run_dir: str | Path):
    """The slot trace of a run as a pandas DataFrame."""
    return pq.read_table(Path(run_dir) / SLOTS_FILE).to_pandas()


def read_packets(run_dir: str | Path):
    """The packet trace of a run as a pandas DataFrame."""
    return pq.read_table(Path(run_dir) / PACKETS_FILE).to_pandas()
