"""A sweep folder on disk: the manifest of points and the merged Parquet datasets (see cosim.sweep.runner).

The manifest is rewritten whole (to a temporary file, then renamed) after each point, so a sweep
killed at any moment leaves either the old or the new manifest, never half of one. A point's
tables are written before the manifest says ``ok``; a point written but not yet marked is run
again and its files (named by the point's id) are overwritten, never duplicated.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
RESULTS = "results"


class SweepDir:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        path = self.root / MANIFEST
        self.manifest: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {"points": {}}

    @property
    def points(self) -> dict[str, dict]:
        return self.manifest["points"]

    def register(self, points, fields: list[str]) -> None:
        """Adds points not seen before (status pending); the swept fields and their types."""
        for p in points:
            self.points.setdefault(p.id, {"values": p.values, "seed": p.seed, "status": "pending"})
        self.manifest["fields"] = fields
        self.manifest["field_types"] = _field_types([self.points[p.id]["values"] for p in points], fields)
        self.save()

    def todo(self, points) -> list:
        return [p for p in points if self.points[p.id]["status"] != "ok"]

    def record(self, point, result: dict) -> None:
        """Stores one finished point: its tables into the datasets, its files, then its status."""
        folder = self.root / "points" / point.id
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("config.yaml", "meta.json"):
            if name in result:
                (folder / name).write_text(result[name])
        if result["status"] == "ok":
            for table, data in result["tables"].items():
                self._write(table, data, point)
        entry = self.points[point.id]
        entry.update(status=result["status"], wall_s=result.get("wall_s"))
        entry.pop("error", None)
        if result["status"] != "ok":
            entry["error"] = result.get("error", "?")
        self.save()

    def _write(self, name: str, table, point) -> None:
        import pyarrow as pa
        import pyarrow.dataset as ds

        fields = self.manifest["fields"]
        schema = self.partition_schema()
        table = table.append_column("point", pa.array([point.id] * len(table), pa.string()))
        if "seed" not in fields:
            table = table.append_column("seed", pa.array([point.seed] * len(table), pa.int64()))
        for f in fields:  # a swept seed column holds every point's seed, swept or derived
            value = point.seed if f == "seed" else _cell(point.values.get(f), schema.field(f).type)
            table = table.append_column(f, pa.array([value] * len(table), schema.field(f).type))
        ds.write_dataset(table, self.root / RESULTS / name, format="parquet",
                         partitioning=ds.partitioning(schema, flavor="hive"),
                         basename_template=f"{point.id}-{{i}}.parquet", existing_data_behavior="overwrite_or_ignore")

    def partition_schema(self):
        import pyarrow as pa

        kinds = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "string": pa.string()}
        return pa.schema([(f, kinds[self.manifest["field_types"][f]]) for f in self.manifest["fields"]])

    def read(self, table: str):
        """One merged table (pandas), rows in point order then in each run's own order."""
        import pyarrow.dataset as ds

        data = ds.dataset(self.root / RESULTS / table, format="parquet",
                          partitioning=ds.partitioning(self.partition_schema(), flavor="hive")).to_table()
        return data.to_pandas().sort_values("point", kind="stable").reset_index(drop=True)

    def tables(self) -> list[str]:
        return sorted(p.name for p in (self.root / RESULTS).iterdir()) if (self.root / RESULTS).is_dir() else []

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self.manifest, indent=1, default=str))
        os.replace(tmp, self.root / MANIFEST)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for entry in self.points.values():
            out[entry["status"]] = out.get(entry["status"], 0) + 1
        return out


def _field_types(values: list[dict], fields: list[str]) -> dict[str, str]:
    """One Arrow type per swept field: int, float or bool when every value is one, else string."""
    out = {}
    for f in fields:
        vs = [v[f] for v in values if v.get(f) is not None]
        if vs and all(isinstance(v, bool) for v in vs):
            out[f] = "bool"
        elif vs and all(isinstance(v, int) and not isinstance(v, bool) for v in vs):
            out[f] = "int"
        elif vs and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vs):
            out[f] = "float"
        else:
            out[f] = "string"
    return out


def _cell(value, arrow_type):
    import pyarrow as pa

    if value is None or not pa.types.is_string(arrow_type):
        return value
    return value if isinstance(value, str) else json.dumps(value)
