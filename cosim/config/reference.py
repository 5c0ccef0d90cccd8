"""The reference page of every scenario key, read off the schemas themselves so it cannot drift:

    python -m cosim.config.reference > docs/scenario-keys.md

Each key's type and allowed values come from its parser object (cosim.config.checks: ``Num``,
``Choice``, ...), its default from the section's dataclass, its unit from its name's suffix
(``_ms``, ``_dbm``, ...) or from the parser (``Vec(3, unit="m")``). tests/cosim/config/test_reference.py
checks that the committed page is this output and that every dataclass field is on it.

This module sits in cosim.config but reads the schemas of cosim.radio, cosim.run, cosim.session and
cosim.sweep, and the profile command's (llm_split.profile): it imports them when it runs, never
when the engine is imported.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterator

from cosim.config.checks import Field, ListOf, Optional, Section, fmt_num

# name suffix -> unit; the longest matching suffix wins (_ms_per_layer before _ms, _dbm before _db)
UNITS = {
    "_ms_per_layer": "ms per layer", "_per_s": "1/s", "_ms": "ms", "_s": "s", "_dbm": "dBm", "_db": "dB",
    "_m": "m", "_mps": "m/s", "_kmh": "km/h", "_deg": "degrees", "_hz": "Hz", "_mhz": "MHz", "_ghz": "GHz",
    "_bps": "bit/s", "_gbps": "Gbit/s", "_bytes": "bytes", "_rbs": "resource blocks", "_mb": "MiB",
}
NAMES = {"bytes": "bytes"}  # whole key names that are a unit


def unit(name: str, parser: Any) -> str:
    if getattr(parser, "unit", ""):
        return parser.unit
    if name in NAMES:
        return NAMES[name]
    suffixes = [s for s in UNITS if name.endswith(s)]
    return UNITS[max(suffixes, key=len)] if suffixes else ""


def fmt_default(v: Any) -> str:
    """A default as it would be written in YAML."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and math.isinf(v):
        return "end of run" if v > 0 else "-inf"
    if isinstance(v, (int, float)):
        return fmt_num(v)
    if isinstance(v, (list, tuple)):
        if v and dataclasses.is_dataclass(v[0]):
            return f"{len(v)} item(s) with the defaults below"
        return "[" + ", ".join(fmt_default(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{}" if not v else str(v)
    return str(v) if v != "" else '"" (unset)'


def defaults(cls: type) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def rows(schema: Section, prefix: str = "", only: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """(key path, type, unit, default, allowed) of every key under ``schema``, sub-sections unfolded;
    ``only`` limits the top level to those keys."""
    values = defaults(schema.cls)
    for name, parser in schema.fields.items():
        if only and name not in only:
            continue
        if not isinstance(parser, Field):
            raise TypeError(f"{prefix}{name}: a plain function; describe it (cosim.config.checks.Fn)")
        path = f"{prefix}{name}"
        if isinstance(parser, Section):
            yield from rows(parser, f"{path}.")
            continue
        yield path, parser.kind, unit(name, parser), fmt_default(values.get(name)), parser.allowed()
        if isinstance(parser, ListOf) and isinstance(parser.item, Section):
            yield from rows(parser.item, f"{path}[].")
        elif isinstance(parser, Optional) and isinstance(parser.item, Section):  # a section that may be absent
            yield from rows(parser.item, f"{path}.")


def table(schema: Section, prefix: str = "", only: tuple[str, ...] = ()) -> str:
    lines = ["| key | type | unit | default | allowed |", "|---|---|---|---|---|"]
    for path, kind, u, default, allowed in rows(schema, prefix, only):
        cells = (f"`{path}`", kind, u, f"`{default}`" if default else "", allowed)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def schemas() -> list[tuple[str, str, Section, str, tuple[str, ...]]]:
    """(title, text, schema, key prefix, top-level keys shown) of each table on the page."""
    from pathlib import Path

    from cosim.config.checks import COMMON_TOP
    from cosim.radio.lte import schema as lte
    from cosim.radio.nr import schema as nr
    from cosim.radio.scenario import schema as program_schema
    from cosim.run.probes import probe_schema
    from cosim.session.config import SCHEMA as session
    from cosim.sweep.runner import schema as sweep_schema
    from llm_split.profile import SCHEMA as profile

    common = (*COMMON_TOP, "edge", "ue_groups")
    return [
        ("Cell scenario: the keys every built-in radio shares", "Source: cosim.config.checks, cosim.radio.cell. "
         "`ue_groups[]` is each item of the list.", lte.SCHEMA, "", common),
        ("LTE cell: `radio` and `channel`", "The default radio (`radio.technology` absent or `lte`). "
         "Source: cosim.radio.lte.schema.", lte.SCHEMA, "", ("radio", "channel")),
        ("NR cell: `radio` and `channel`", "Picked by `radio.technology: nr` (5G-LENA). "
         "Source: cosim.radio.nr.schema.", nr.SCHEMA, "", ("radio", "channel")),
        ("Own-program scenario", "A scenario with a `program` section: the cell is whatever the program builds "
         "(`program.path` is relative to the YAML file's folder). Source: cosim.radio.scenario.",
         program_schema(Path(".")), "", ()),
        ("Split-session sections", "Beside a cell's keys, in a split-inference scenario. "
         "Source: cosim.session.config.", session, "", ()),
        ("Probes", "`probes:` is a list of these (at most 1000); `times_s` replaces `period_ms`, `start_s` "
         "and `stop_s`. Source: cosim.run.probes.", probe_schema(0), "probes[].", ()),
        ("Sweep files", "`layersplit sweep SWEEP.yaml`; `base` is required, relative to the sweep file. "
         "Source: cosim.sweep.runner.", sweep_schema(Path(".")), "", ()),
        ("`layersplit profile` options", "Not a YAML file: each key is the option `--KEY` with `-` for `_` "
         "(`max_tokens` is `--max-tokens`), lists comma-separated (`--ks 0-30:5`, `--ps 0,0.1`). "
         "Source: llm_split.profile.", profile, "", ()),
    ]


HEADER = """# Scenario keys

<!-- Generated from the schemas: python -m cosim.config.reference > docs/scenario-keys.md
     Do not edit by hand; tests/cosim/config/test_reference.py checks that it is current. -->

Regenerate this page with `python -m cosim.config.reference > docs/scenario-keys.md`.

Every key of a scenario YAML, read off the schema code: its type, unit (from the key's name, e.g.
`_ms`, `_dbm`, `_mps`, or stated), default (a key left out takes it) and the values allowed (`x`
is the value). A key not listed is an error, and every error names the full key path, e.g.
`radio.bandwidth_rbs: 30 is not one of 6, 15, 25, 50, 75, 100`. Checks that span keys (e.g.
`radius_min_m <= radius_max_m`) are in the source modules named under each table.
"""


def page() -> str:
    parts = [HEADER]
    for title, text, schema, prefix, only in schemas():
        parts.append(f"## {title}\n\n{text}\n\n{table(schema, prefix, only)}\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(page(), end="")
