"""Parquet traces of a run, written as the records arrive.

Each batch of records is appended at once to an Arrow IPC stream beside the trace
(``slots.parquet.arrows``), so whatever happens to either process, every batch received is on disk
and readable. When the run ends, normally or by an error the Python side survives (the simulator
died, Ctrl-C), the stream becomes the Parquet file, in row groups of ``rows_per_group`` rows (a
count, never a time, so the same run gives the same file), and the stream is removed. Should the
Python process itself be killed, :func:`read_slots` / :func:`read_packets` read the stream instead.

Columns are exactly the fields of the record formats (docs/records.md); ``packets.parquet`` adds
``lost`` (bool) and ``delay_ms`` (receive minus send time, NaN if lost). Handover events, which
arrive among the packet events, go to ``handovers.parquet`` with columns of their own
(:func:`handover_event_table`).

A split run's requests go the same way (:class:`KeyedJournal`, ``requests.parquet.arrows``): each
request is appended as it finishes, and again when its deferred quality arrives; the later row of a
request replaces the earlier, so :func:`read_requests` of a killed run gives every finished request
once, those still waiting for their quality marked ``quality_pending``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from cosim.bridge.launcher import EVENT_DTYPE, HANDOVER_EVENTS, HANDOVER_START, SLOT_DTYPE, split_events
from cosim.bridge.signals import deferred

SLOTS_FILE = "slots.parquet"
PACKETS_FILE = "packets.parquet"
HANDOVERS_FILE = "handovers.parquet"
REQUESTS_FILE = "requests.parquet"
JOURNAL_SUFFIX = ".arrows"  # the Arrow IPC stream a trace is written to while the run lasts


def to_table(records: np.ndarray) -> pa.Table:
    """A structured numpy array as an Arrow table, one column per field."""
    return pa.table({name: records[name] for name in records.dtype.names})


def packet_table(events: np.ndarray) -> pa.Table:
    table = to_table(events)
    lost = events["t_recv_ns"] < 0
    delay = np.where(lost, np.nan, (events["t_recv_ns"] - events["t_send_ns"]) / 1e6)
    return table.append_column("lost", pa.array(lost)).append_column("delay_ms", pa.array(delay))


def _measurement(packed: np.ndarray, byte: int, rsrp: bool) -> np.ndarray:
    """One quantised measurement of a handover's triggering report (records.hpp): TS 36.133's
    reporting ranges, RSRP dBm = range - 141 and RSRQ dB = (range - 40) / 2, the lower edge of the
    range (as ns-3's EutranMeasurementMapping converts them); NaN where none was reported."""
    r = ((packed.astype(np.int64) >> (8 * byte)) & 0xFF).astype(np.float64)
    value = r - 141.0 if rsrp else (r - 40.0) / 2.0
    return np.where((r == 255) | (packed == 0xFFFFFFFF), np.nan, value)


def handover_event_table(events: np.ndarray) -> pa.Table:
    """Handover events (EventRecord of kind EVENT_HANDOVER_*) as named columns: ``t_ns``, ``seq``,
    ``ue``, ``imsi``, ``event`` (start | end | failure), ``source_cell``, ``target_cell``;
    for a start, ``decided_ns`` (when the source cell decided it, -1 unknown) and the triggering
    measurement report's ``report_source_rsrp_dbm``, ``report_target_rsrp_dbm``,
    ``report_source_rsrq_db``, ``report_target_rsrq_db`` (L3-filtered, quantised; NaN if none)."""
    start = events["kind"] == HANDOVER_START
    packed = np.where(start, events["n_packets"], 0xFFFFFFFF).astype(np.uint32)
    return pa.table({
        "t_ns": events["t_send_ns"], "seq": events["seq"], "ue": events["ue"], "imsi": events["tag"],
        "event": pa.array([HANDOVER_EVENTS[int(k)] for k in events["kind"]], pa.string()),
        "source_cell": events["packet"].astype(np.uint16), "target_cell": events["bytes"].astype(np.uint16),
        "decided_ns": np.where(start, events["t_recv_ns"], -1),
        "report_source_rsrp_dbm": _measurement(packed, 0, True),
        "report_target_rsrp_dbm": _measurement(packed, 1, True),
        "report_source_rsrq_db": _measurement(packed, 2, False),
        "report_target_rsrq_db": _measurement(packed, 3, False),
    })


class _Stream:
    def __init__(self, path: Path, dtype: np.dtype, to_arrow, rows_per_group: int):
        self.path, self._to_arrow, self._rows = path, to_arrow, rows_per_group
        self.journal = path.with_name(path.name + JOURNAL_SUFFIX)
        self._schema = to_arrow(np.empty(0, dtype)).schema
        self._sink = pa.OSFile(str(self.journal), "wb")
        self.last_seq = -1  # records carry a producer-wide seq: a repeat is recognised by it
        self._writer = ipc.new_stream(self._sink, self._schema)

    def write(self, records: np.ndarray) -> None:
        if len(records):
            with _naming(self.journal):
                self._writer.write_table(self._to_arrow(records))
                self._sink.flush()
            self.last_seq = int(records["seq"][-1])

    def write_new(self, records: np.ndarray) -> np.ndarray:
        """Writes the records not written yet (seq above the last one written); returns them."""
        new = records[records["seq"].astype(np.int64) > self.last_seq] if len(records) else records
        self.write(new)
        return new

    def close(self) -> None:
        with _naming(self.journal):
            self._writer.close()
            self._sink.close()
        # A stop signal waits for the conversion it asks for; on failure the journal stays, readable.
        with deferred(), _naming(self.path):
            try:
                journal_to_parquet(self.journal, self.path, self._rows, self._schema)
            finally:
                self.path.with_name(self.path.name + ".tmp").unlink(missing_ok=True)
        self.journal.unlink()


@contextlib.contextmanager
def _naming(path: Path):
    """Arrow's I/O errors (a full or read-only disk) name no file; these do."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        reason = os.strerror(exc.errno) if exc.errno else str(exc).splitlines()[0]
        raise OSError(exc.errno, f"cannot write the trace: {reason}", str(path)) from None


def journal_to_parquet(journal: Path, path: Path, rows_per_group: int, schema: pa.Schema | None = None) -> int:
    """Converts a journal batch by batch, holding at most about two row groups in memory (a 64-UE
    hour is 230 M slot rows: loading it whole needed over 20 GB). Row groups hold exactly
    ``rows_per_group`` rows (the last fewer), as pq.write_table(row_group_size=...) makes them.
    Returns the rows written."""
    journal, path = Path(journal), Path(path)
    pending, held, total = [], 0, 0
    tmp = path.with_name(path.name + ".tmp")  # renamed when whole: a half-converted file never shows
    with pa.OSFile(str(journal), "rb") as f:
        batches, schema = _batches(f, schema, journal)
        with pq.ParquetWriter(str(tmp), schema) as out:
            for batch in batches:
                pending.append(batch)
                held += batch.num_rows
                while held >= rows_per_group:
                    table = pa.Table.from_batches(pending, schema=schema)
                    out.write_table(table.slice(0, rows_per_group), row_group_size=rows_per_group)
                    rest = table.slice(rows_per_group)
                    pending, held = rest.to_batches(), rest.num_rows
                    total += rows_per_group
            if held:
                out.write_table(pa.Table.from_batches(pending, schema=schema), row_group_size=rows_per_group)
                total += held
    os.replace(tmp, path)
    return total


def _batches(f, schema: pa.Schema | None, path: Path):
    """(iterator over every complete batch of a possibly cut-short stream, its schema)."""
    try:
        reader = ipc.open_stream(f)
    except (pa.ArrowInvalid, OSError):
        if schema is None:
            raise ValueError(f"{path}: no complete Arrow stream header") from None
        return iter(()), schema

    def whole():
        try:
            yield from reader
        except (pa.ArrowInvalid, OSError):
            pass  # the writer was killed mid-batch: keep what is whole
    return whole(), reader.schema


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
    """Writes ``slots.parquet``, ``packets.parquet`` and ``handovers.parquet`` into a run folder as records arrive, and
    tallies them (``tally``: cosim.run.selfcheck.RunTally) for the run's check of its own data."""

    def __init__(self, run_dir: str | Path, rows_per_group: int = 65_536):
        from cosim.run.selfcheck import RunTally

        run_dir = Path(run_dir)
        self.tally = RunTally()
        self.slots = _Stream(run_dir / SLOTS_FILE, SLOT_DTYPE, to_table, rows_per_group)
        self.packets = _Stream(run_dir / PACKETS_FILE, EVENT_DTYPE, packet_table, rows_per_group)
        self.handovers = _Stream(run_dir / HANDOVERS_FILE, EVENT_DTYPE, handover_event_table, rows_per_group)
        self._sims: list = []

    def follow(self, sim) -> None:
        """On close, first write what ``sim`` (a cosim.Simulation) read or wrote but nobody
        collected: the records before a stop, a crash or a stall are kept too."""
        self._sims.append(sim)

    def write(self, slots: np.ndarray, events: np.ndarray) -> None:
        packets, handovers = split_events(events)
        with deferred():  # the whole batch, or none of it, whatever signal comes
            self.slots.write(slots)
            self.packets.write(packets)
            self.handovers.write(handovers)
        self._count(slots, packets)

    def _count(self, slots: np.ndarray, packets: np.ndarray) -> None:
        self.tally.add_slots(slots)
        self.tally.add_events(packets)

    def close(self) -> None:
        try:
            for sim in self._sims:
                slots, events = sim.leftover()
                packets, handovers = split_events(events)
                with deferred():
                    slots, packets = self.slots.write_new(slots), self.packets.write_new(packets)
                    self.handovers.write_new(handovers)
                self._count(slots, packets)
        finally:
            try:
                self.slots.close()
            finally:
                try:
                    self.packets.close()
                finally:
                    self.handovers.close()

    def __enter__(self) -> "TraceWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def latest_rows(table: pa.Table, key: str) -> pa.Table:
    """The last row written for each value of ``key``, sorted by it (a journal may hold a row
    several times: a request before and after its deferred quality)."""
    keys = table.column(key).to_numpy()
    _, first_from_end = np.unique(keys[::-1], return_index=True)  # sorted keys, each one's last row
    return table.take(len(keys) - 1 - first_from_end)


class KeyedJournal:
    """Rows keyed by one column (a split request's id), each batch appended to an Arrow IPC journal
    beside ``path`` the moment it is written, as the slot and packet traces are; a later row of a key
    replaces the earlier. close() leaves ``path`` as Parquet, the latest row per key sorted by key,
    and removes the journal; a killed writer's journal stays readable (:func:`read_requests`)."""

    def __init__(self, path: str | Path, schema: pa.Schema, key: str):
        self.path, self.key, self._schema = Path(path), key, schema
        self.journal = self.path.with_name(self.path.name + JOURNAL_SUFFIX)
        with _naming(self.journal):
            self._sink = pa.OSFile(str(self.journal), "wb")
            self._writer = ipc.new_stream(self._sink, schema)
            # An empty batch puts the schema on disk now: a run killed before its first request
            # still leaves a journal that reads as an empty table with the right columns.
            self._writer.write_batch(pa.RecordBatch.from_pylist([], schema=schema))
            self._sink.flush()

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            with deferred(), _naming(self.journal):  # a batch whole or not at all, whatever signal comes
                self._writer.write_table(table.cast(self._schema))
                self._sink.flush()

    def close(self) -> None:
        with _naming(self.journal):
            self._writer.close()
            self._sink.close()
        tmp = self.path.with_name(self.path.name + ".tmp")  # renamed when whole
        with deferred(), _naming(self.path):
            try:
                pq.write_table(latest_rows(_read_journal(self.journal, self._schema), self.key), str(tmp))
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)
        self.journal.unlink()


def enb_position(run_dir: str | Path) -> tuple[float, float, float]:
    """The serving base station's position as the program reported it (geometry.json), else from
    the run's resolved config (runs made before programs reported it); origin if neither."""
    import json

    from cosim.config.checks import load_yaml

    geometry = Path(run_dir) / "geometry.json"
    if geometry.exists():
        return tuple(float(v) for v in json.loads(geometry.read_text())["cell_position"])
    path = Path(run_dir) / "config.yaml"
    if path.exists():
        pos = load_yaml(path, "run config").get("radio", {}).get("enb_position")
        if pos:
            return tuple(float(v) for v in pos)
    return (0.0, 0.0, 0.0)


def cell_positions(run_dir: str | Path) -> dict[int, tuple[float, float, float]]:
    """Every cell's position by the cell id slot records name (``cell_id``), from geometry.json;
    empty for runs whose program did not list its cells (then enb_position is the one cell)."""
    import json

    geometry = Path(run_dir) / "geometry.json"
    if not geometry.exists():
        return {}
    cells = json.loads(geometry.read_text()).get("cells", [])
    return {int(c["cell_id"]): tuple(float(v) for v in c["position"]) for c in cells}


def read_trace(run_dir: str | Path, name: str, key: str | None = None, columns: list[str] | None = None):
    """A trace of a run as a pandas DataFrame: the Parquet file, or, after a hard crash of the
    Python side, the journal it left (with ``key``: the latest row per key, as KeyedJournal.close
    keeps). ``columns``: only those (all by default)."""
    path = Path(run_dir) / name
    journal = path.with_name(path.name + JOURNAL_SUFFIX)
    if not path.exists() and journal.exists():
        table = _read_journal(journal)
        table = latest_rows(table, key) if key else table
        return (table.select(columns) if columns else table).to_pandas()
    return pq.read_table(path, columns=columns).to_pandas()


def read_slots(run_dir: str | Path, columns: list[str] | None = None):
    """The slot trace of a run as a pandas DataFrame (see read_trace)."""
    return read_trace(run_dir, SLOTS_FILE, columns=columns)


def read_packets(run_dir: str | Path, columns: list[str] | None = None):
    """The packet trace of a run as a pandas DataFrame (see read_trace)."""
    return read_trace(run_dir, PACKETS_FILE, columns=columns)


def read_handovers(run_dir: str | Path):
    """The handover events of a run as a pandas DataFrame (see read_trace and handover_event_table);
    empty with those columns for runs made before handovers were recorded."""
    if not has_trace(run_dir, HANDOVERS_FILE):
        return handover_event_table(np.empty(0, EVENT_DTYPE)).to_pandas()
    return read_trace(run_dir, HANDOVERS_FILE)


def has_trace(run_dir: str | Path, name: str) -> bool:
    """True when the run left the trace, as Parquet or as the journal of a killed run."""
    path = Path(run_dir) / name
    return path.exists() or path.with_name(path.name + JOURNAL_SUFFIX).exists()


def read_requests(run_dir: str | Path):
    """The requests of a split run as a pandas DataFrame, one row per finished request in id order
    (see read_trace; cosim.session.runner.RequestRecord for the columns)."""
    return read_trace(run_dir, REQUESTS_FILE, key="request")
