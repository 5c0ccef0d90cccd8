"""docs/scenario-keys.md is the generator's output, and every field of every schema is on it."""

import dataclasses
from pathlib import Path

from cosim.config.checks import ListOf, Section
from cosim.config.reference import page, rows, schemas

PAGE = Path(__file__).resolve().parents[3] / "docs" / "scenario-keys.md"
NOT_KEYS = {"extra"}  # a scenario's other packages' sections, kept as given: not keys of its schema


def test_the_committed_page_is_current():
    assert PAGE.read_text() == page(), "regenerate: python -m cosim.config.reference > docs/scenario-keys.md"


def _sections(schema: Section, prefix: str):
    """(key prefix, section) of ``schema`` and every section under it."""
    yield prefix, schema
    for name, parser in schema.fields.items():
        if isinstance(parser, Section):
            yield from _sections(parser, f"{prefix}{name}.")
        elif isinstance(parser, ListOf) and isinstance(parser.item, Section):
            yield from _sections(parser.item, f"{prefix}{name}[].")


def test_every_dataclass_field_has_a_parser_and_a_row():
    text = PAGE.read_text()
    shown = {r[0] for _, _, schema, prefix, only in schemas() for r in rows(schema, prefix, only)}
    for _, _, schema, prefix, _ in schemas():
        for where, sec in _sections(schema, prefix):
            fields = {f.name for f in dataclasses.fields(sec.cls)} - NOT_KEYS
            assert fields == set(sec.fields), (sec.cls.__name__, fields ^ set(sec.fields))
            for name in fields - {n for n, p in sec.fields.items() if isinstance(p, Section)}:
                assert f"{where}{name}" in shown and f"| `{where}{name}` |" in text, f"{where}{name}"
