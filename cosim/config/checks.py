"""The checks every config schema shares (cell scenarios of any radio, own-program scenarios,
split sessions): strict YAML loading, dotted overrides, and one-line errors naming the key path.

A schema module (``cosim.radio.lte.schema``, ``cosim.radio.scenario``, ``cosim.session.config``, an NR one)
describes its sections as dataclasses and builds them with :class:`Section`, giving one parser per
key; the parsers here (``Num(0, 10)``, ``Choice(...)``, ...) check types and bounds and say what
they accept, so the reference page of every key (cosim.config.reference) is read off them. Every
parser takes ``(path, value)`` so that its :class:`ConfigError` names the full key path, the bad
value and what is allowed, e.g. ``radio.bandwidth_rbs: 30 is not one of 6, 15, 25, 50, 75, 100``.
Checks across keys run after a section is built (``Section(..., check=...)``).

Every number has both bounds: an unbounded field is how a typo becomes a run that never ends.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

MAX_FILE_BYTES = 4 * 1024 * 1024  # a config file is text written by hand; more is a mistake
NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


class ConfigError(ValueError):
    """A config value is missing, unknown or out of range; the message names the key path."""


# ----------------------------------------------------------------------------- value parsers
def fmt_allowed(allowed: Iterable[Any]) -> str:
    return ", ".join(str(a) for a in allowed)


def _range(lo: float | None, hi: float | None, lo_open: bool = False) -> str:
    """' (allowed: 1 <= x <= 4096)' where a message names one bound and there are two."""
    return f" (allowed: {fmt_bounds(lo, hi, lo_open)})" if lo is not None and hi is not None else ""


def _not_a(what: str, path: str, v: Any, allowed: str = "") -> ConfigError:
    """'is not a number', saying why when ``v`` is a number written as text (quoted in YAML)."""
    try:
        quoted = isinstance(v, str) and math.isfinite(float(v))
    except ValueError:
        quoted = False
    return ConfigError(f"{path}: {v!r} is not {what}" + (" (it is text: write it without quotes)" if quoted else allowed))


def num(path: str, v: Any, lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _not_a("a number", path, v, _range(lo, hi, lo_open))
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ConfigError(f"{path}: {v!r} must be {'>' if lo_open else '>='} {lo}{_range(lo, hi, lo_open)}")
    if hi is not None and v > hi:
        raise ConfigError(f"{path}: {v!r} must be <= {hi}{_range(lo, hi, lo_open)}")
    return float(v)


def integer(path: str, v: Any, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _not_a("an integer", path, v, _range(lo, hi))
    if lo is not None and v < lo:
        raise ConfigError(f"{path}: {v!r} must be >= {lo}{_range(lo, hi)}")
    if hi is not None and v > hi:
        raise ConfigError(f"{path}: {v!r} must be <= {hi}{_range(lo, hi)}")
    return v


def choice(path: str, v: Any, allowed: Iterable[Any]) -> Any:
    allowed = tuple(allowed)
    if isinstance(v, bool) or not isinstance(v, (str, int, float)) or v not in allowed:
        raise ConfigError(f"{path}: {v!r} is not one of {fmt_allowed(allowed)}")
    return v


def boolean(path: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{path}: {v!r} is not a boolean (true or false)")
    return v


def string(path: str, v: Any, max_len: int = 4096) -> str:
    """A non-empty single-line string (a newline would inject lines into the program's config)."""
    if not isinstance(v, str) or not v:
        raise ConfigError(f"{path}: {v!r} is not a non-empty string")
    if len(v) > max_len or any(c in v for c in "\n\r\0"):
        raise ConfigError(f"{path}: {v[:40]!r}... must be one line of at most {max_len} characters")
    return v


def safe_name(path: str, v: Any) -> str:
    """A run name: it becomes a folder name and a line of the program's config."""
    if not isinstance(v, str) or not NAME_RE.fullmatch(v) or ".." in v:
        raise ConfigError(f"{path}: {v!r} is not a safe name (1-64 of A-Z a-z 0-9 _ . -, not starting with "
                          f"'.' or '-', no '..')")
    return v


def list_of(path: str, v: Any, max_len: int = 100_000) -> list:
    if not isinstance(v, (list, tuple)):  # YAML gives lists; configs built in Python, tuples
        raise ConfigError(f"{path}: {v!r} is not a list")
    if len(v) > max_len:
        raise ConfigError(f"{path}: {len(v)} items, at most {max_len} are allowed")
    return v


def vec(path: str, v: Any, n: int | tuple[int, ...], lo: float = -1e6, hi: float = 1e6) -> tuple[float, ...]:
    sizes = (n,) if isinstance(n, int) else n
    if not isinstance(v, (list, tuple)) or len(v) not in sizes:
        raise ConfigError(f"{path}: {v!r} is not a list of {' or '.join(map(str, sizes))} numbers")
    return tuple(num(f"{path}[{i}]", x, lo, hi) for i, x in enumerate(v))


Parser = Callable[[str, Any], Any]


def section(path: str, raw: Any, cls: type, parsers: Mapping[str, Parser]) -> Any:
    """Builds dataclass ``cls`` from mapping ``raw`` (None: defaults); unknown keys are errors."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path or 'config'}: {raw!r} is not a mapping")
    names = [f.name for f in dataclasses.fields(cls) if f.name in parsers]
    for key in raw:
        if key not in parsers:
            shown = key if isinstance(key, str) and key.isprintable() and key.strip() == key and key else repr(key)
            where = f"{path}.{shown}" if path else str(shown)
            raise ConfigError(f"{where}: unknown key (allowed: {fmt_allowed(names)})")
    obj = cls()
    for key, value in raw.items():
        setattr(obj, key, parsers[key](f"{path}.{key}" if path else key, value))
    return obj


# ----------------------------------------------------------------------------- describable parsers
# The parsers above as small objects: called as ``(path, value) -> value`` with the same messages,
# and able to say what they accept, so that the reference page of every key
# (cosim.config.reference) is read off the schema itself and cannot drift from it.
def fmt_num(x: float) -> str:
    """A bound as a reader writes it: 100000 not 100000.0, 1e+10 not 10000000000.0."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e7:
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) and float(f"{x:g}") == x else str(x)


def fmt_bounds(lo: float | None, hi: float | None, lo_open: bool = False) -> str:
    left = f"{fmt_num(lo)} {'<' if lo_open else '<='} " if lo is not None else ""
    right = f" <= {fmt_num(hi)}" if hi is not None else ""
    return f"{left}x{right}" if left or right else ""


class Field:
    """A field parser that describes itself: ``kind`` (the type a reference names), ``unit`` (when
    the key's name does not say it) and :meth:`allowed` (bounds or values, "" when any)."""

    kind = "value"

    def __init__(self, unit: str = ""):
        self.unit = unit

    def allowed(self) -> str:
        return ""

    def __call__(self, path: str, v: Any) -> Any:
        raise NotImplementedError


class Num(Field):
    kind = "number"

    def __init__(self, lo: float | None = None, hi: float | None = None, lo_open: bool = False, unit: str = ""):
        super().__init__(unit)
        self.lo, self.hi, self.lo_open = lo, hi, lo_open

    def allowed(self) -> str:
        return fmt_bounds(self.lo, self.hi, self.lo_open)

    def __call__(self, path: str, v: Any) -> float:
        return num(path, v, self.lo, self.hi, self.lo_open)


class Int(Field):
    kind = "integer"

    def __init__(self, lo: int | None = None, hi: int | None = None, unit: str = ""):
        super().__init__(unit)
        self.lo, self.hi = lo, hi

    def allowed(self) -> str:
        return fmt_bounds(self.lo, self.hi)

    def __call__(self, path: str, v: Any) -> int:
        return integer(path, v, self.lo, self.hi)


class Choice(Field):
    kind = "choice"

    def __init__(self, allowed: Iterable[Any], unit: str = ""):
        super().__init__(unit)
        self.values = tuple(allowed)  # a mapping gives its keys, as choice() does

    def allowed(self) -> str:
        return fmt_allowed(self.values)

    def __call__(self, path: str, v: Any) -> Any:
        return choice(path, v, self.values)


class Bool(Field):
    kind = "boolean"

    def allowed(self) -> str:
        return "true, false"

    def __call__(self, path: str, v: Any) -> bool:
        return boolean(path, v)


class Str(Field):
    kind = "string"

    def __init__(self, max_len: int = 4096, unit: str = ""):
        super().__init__(unit)
        self.max_len = max_len

    def allowed(self) -> str:
        return f"one line, 1-{self.max_len} characters"

    def __call__(self, path: str, v: Any) -> str:
        return string(path, v, self.max_len)


class Name(Field):
    kind = "name"

    def allowed(self) -> str:
        return "1-64 of A-Z a-z 0-9 _ . -, not starting with . or -, no .."

    def __call__(self, path: str, v: Any) -> str:
        return safe_name(path, v)


class Vec(Field):
    def __init__(self, n: int | tuple[int, ...], lo: float = -1e6, hi: float = 1e6, unit: str = ""):
        super().__init__(unit)
        self.n, self.lo, self.hi = n, lo, hi
        sizes = (n,) if isinstance(n, int) else n
        self.kind = f"list of {' or '.join(map(str, sizes))} numbers"

    def allowed(self) -> str:
        return f"each {fmt_bounds(self.lo, self.hi)}"

    def __call__(self, path: str, v: Any) -> tuple[float, ...]:
        return vec(path, v, self.n, self.lo, self.hi)


class ListOf(Field):
    """A list of at most ``max_len`` items, each checked by ``item`` (as ``path[i]``); ``into``
    shapes the result (e.g. ``tuple``; default: a list)."""

    def __init__(self, item: Parser | None = None, max_len: int = 100_000, into: Callable | None = None,
                 unit: str = ""):
        super().__init__(unit or getattr(item, "unit", ""))
        self.item, self.max_len, self.into = item, max_len, into
        self.kind = f"list of {getattr(item, 'kind', 'values')}"

    def allowed(self) -> str:
        inner = self.item.allowed() if isinstance(self.item, Field) else ""
        each = inner if inner.startswith("each ") else f"each {inner}"
        return f"at most {self.max_len} items" + (f"; {each}" if inner else "")

    def __call__(self, path: str, v: Any) -> Any:
        items = list_of(path, v, self.max_len)
        if self.item is not None:
            items = [self.item(f"{path}[{i}]", x) for i, x in enumerate(items)]
        return self.into(items) if self.into else items


class Optional(Field):
    """``None`` (null: unset) or what ``item`` accepts."""

    def __init__(self, item: Field):
        super().__init__(item.unit)
        self.item, self.kind = item, f"{item.kind} or null"

    def allowed(self) -> str:
        return self.item.allowed()

    def __call__(self, path: str, v: Any) -> Any:
        return None if v is None else self.item(path, v)


class Fn(Field):
    """A parser written as a function (a check no small object says), with its description."""

    def __init__(self, fn: Parser, kind: str, allowed: str = "", unit: str = ""):
        super().__init__(unit)
        self.fn, self.kind, self.text = fn, kind, allowed

    def allowed(self) -> str:
        return self.text

    def __call__(self, path: str, v: Any) -> Any:
        return self.fn(path, v)


class Section(Field):
    """A mapping built into dataclass ``cls`` by :func:`section` (one parser per key), then
    ``check(path, obj)`` for what spans its keys (it may complete ``obj``, e.g. a resolved path)."""

    kind = "mapping"

    def __init__(self, cls: type, fields: Mapping[str, Parser], check: Callable[[str, Any], None] | None = None):
        super().__init__()
        self.cls, self.fields, self.check = cls, dict(fields), check

    def __call__(self, path: str, raw: Any) -> Any:
        obj = section(path, raw, self.cls, self.fields)
        if self.check is not None:
            self.check(path, obj)
        return obj


# ----------------------------------------------------------------------------- fields every scenario has
@dataclass
class Transfer:
    payload_bytes: int = 1000
    loss_timeout_ms: float = 1000.0


transfer = Section(Transfer, {
    "payload_bytes": Int(1, 1400),
    "loss_timeout_ms": Num(100, 600_000),
})


MAX_DURATION_S = 1e6

# Parsers of the top-level keys a cell scenario of any kind has (the schema adds its sections).
COMMON_TOP: dict[str, Field] = {
    "name": Name(),
    "duration_s": Num(0, MAX_DURATION_S, lo_open=True),
    "seed": Int(1, 2**31 - 1),
    "run": Int(1, 2**31 - 1),
    "transfer": transfer,
}


# ----------------------------------------------------------------------------- strict YAML
MAX_YAML_NODES = 1_000_000  # counted with every alias expanded: far above any real config (a 100,000-item
                            # list is 100,001 nodes), far below what an alias bomb expands to
# YAML 1.2's exponent floats without a dot (1e12, 5E-3): YAML 1.1, PyYAML's, reads them as text.
_EXP_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


def _strict_loader():
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """SafeLoader that refuses a key given twice in one mapping (PyYAML lets the last win) and
        a document of more than MAX_YAML_NODES nodes once aliases are expanded, counted while it is
        composed: an alias bomb (9 levels of 9 aliases) stops at its seventh level, before anything
        downstream (a deep copy, a dump) expands it into gigabytes."""

        def compose_document(self):
            self._sizes: dict[int, int] = {}  # id(node) -> its nodes, aliases expanded
            try:
                return super().compose_document()
            finally:
                self._sizes = {}

        def compose_node(self, parent, index):
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))  # known for an alias: the anchored node's own
            if size is None:
                size = 1 + sum(self._sizes[id(n)] for n in _children(node))
                self._sizes[id(node)] = size
            if size > MAX_YAML_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_YAML_NODES} nodes once aliases are expanded (an alias bomb?)",
                    node.start_mark)
            return node

    def _children(node):
        if isinstance(node, yaml.SequenceNode):
            return node.value
        if isinstance(node, yaml.MappingNode):
            return [n for pair in node.value for n in pair]
        return ()

    def mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        seen: dict = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is not a plain value",
                                                        key_node.start_mark) from None
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given at line {first})", key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return loader.construct_mapping(node, deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXP_FLOAT, list("-+0123456789."))
    return StrictLoader


def load_yaml(path: str | Path, what: str = "config") -> dict:
    """The top-level mapping of a YAML config file. ConfigError (one line naming the file and the
    line) for a missing, empty, oversized or non-text file, bad syntax, a duplicate key, too many
    nodes (:func:`parse_yaml`), or a top level that is not a mapping. The size is checked before
    anything is read: parsing is about 1 s per MB."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: {what} file not found" if not p.exists() else f"{p}: is not a file")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise ConfigError(f"{p}: {p.stat().st_size} bytes; a {what} file is at most {MAX_FILE_BYTES} "
                          f"({MAX_FILE_BYTES // 2**20} MiB)")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    raw = parse_yaml(text, str(p))
    if raw is None:
        raise ConfigError(f"{p}: the file is empty (expected a mapping of {what} keys)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: the top level must be a mapping of {what} keys, got {type(raw).__name__}")
    return raw


def parse_yaml(text: str, where: str) -> Any:
    """One YAML document read strictly (duplicate keys and more than MAX_YAML_NODES expanded nodes
    refused; ``1e12`` a number as YAML 1.2 reads it); ConfigError naming ``where`` and the line."""
    import yaml

    if len(text) > MAX_FILE_BYTES:
        raise ConfigError(f"{where}: {len(text)} characters; at most {MAX_FILE_BYTES} are read")
    try:
        return yaml.load(text, Loader=_strict_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "").split())
        raise ConfigError(f"{where}: {line}not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {' '.join(str(exc).split())}") from None


# ----------------------------------------------------------------------------- overrides
def deepcopy(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {k: deepcopy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [deepcopy(v) for v in x]
    return x


DERIVED = "derived"


def drop_derived(raw: dict) -> dict:
    """Removes the ``derived`` section of a run's saved config.yaml, in place: the values the run
    computed from the settings (UE positions, uplink EARFCN, ...), written for readers. Every load
    computes them afresh, so a saved config runs as it is, with other overrides too."""
    derived = raw.pop(DERIVED, None)
    if derived is not None and not isinstance(derived, Mapping):
        raise ConfigError(f"{DERIVED}: {derived!r} is not a mapping (a saved run's computed values)")
    return raw


def settings(d: Any) -> Any:
    """``d`` (a resolved dataclass dict) without its unset optional keys (None or ""), which a
    loader reads as their defaults and some refuses as values, so ``d`` loads back as it was."""
    if isinstance(d, Mapping):
        return {k: settings(v) for k, v in d.items() if v is not None and v != ""}
    if isinstance(d, list):
        return [settings(v) for v in d]
    return d


def apply_overrides(raw: dict, overrides: Mapping[str, Any] | None) -> dict:
    """Sets dotted keys (list items by number: ``ue_groups.0.count``) in ``raw``, in place; the
    schema then checks the values as if the file had them. Every schema applies overrides so."""
    for key, value in (overrides or {}).items():
        _set_dotted(raw, str(key), value)
    return raw


def _set_dotted(raw: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    node: Any = raw
    for i, part in enumerate(parts):
        where = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"{where}: no item {part!r} in a list of {len(node)}")
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise ConfigError(f"{'.'.join(parts[:i])}: cannot override inside {node!r}")
