"""The describable field parsers of cosim.config.checks: the same checks and messages as the plain
functions, and a description a reference page can print."""

import re
from dataclasses import dataclass

import pytest

from cosim.config.checks import (Bool, Choice, ConfigError, Fn, Int, ListOf, Name, Num, Optional, Section, Str, Vec,
                                 choice, integer, num, vec)


@pytest.mark.parametrize("parser, plain, value", [
    (Num(0, 10, lo_open=True), lambda p, v: num(p, v, 0, 10, lo_open=True), 0),
    (Num(0, 10), lambda p, v: num(p, v, 0, 10), 11),
    (Num(0, 10), lambda p, v: num(p, v, 0, 10), float("nan")),
    (Int(1, 5), lambda p, v: integer(p, v, 1, 5), True),
    (Int(1, 5), lambda p, v: integer(p, v, 1, 5), 2.5),
    (Choice({"a": 1, "b": 2}), lambda p, v: choice(p, v, ("a", "b")), "c"),
    (Vec(2), lambda p, v: vec(p, v, 2), [1, "x"]),
])
def test_objects_refuse_as_the_functions_do(parser, plain, value):
    with pytest.raises(ConfigError) as want:
        plain("a.b", value)
    with pytest.raises(ConfigError, match=f"^{re.escape(str(want.value))}$"):
        parser("a.b", value)


def test_objects_describe_what_they_accept():
    assert (Num(0, 10, lo_open=True).kind, Num(0, 10, lo_open=True).allowed()) == ("number", "0 < x <= 10")
    assert Num(0, 1e10).allowed() == "0 <= x <= 1e+10" and Int(1, 2**31 - 1).allowed() == "1 <= x <= 2147483647"
    assert Choice({"pf": 0, "rr": 1}).allowed() == "pf, rr" and Bool().allowed() == "true, false"
    assert Vec((2, 3)).kind == "list of 2 or 3 numbers" and ListOf(Int(0, 9), 4).kind == "list of integer"
    assert ListOf(Int(0, 9), 4).allowed() == "at most 4 items; each 0 <= x <= 9"
    assert Optional(Num(0, 1)).kind == "number or null" and Str(40).allowed() == "one line, 1-40 characters"
    assert Fn(lambda p, v: v, "pair", "[a, b]", unit="m").allowed() == "[a, b]" and Name().kind == "name"


@dataclass
class _Box:
    lo: float = 0.0
    hi: float = 1.0
    tags: tuple = ()


def _ordered(path, box):
    if box.lo > box.hi:
        raise ConfigError(f"{path}.lo: {box.lo} must be <= hi")


BOX = Section(_Box, {"lo": Num(-5, 5), "hi": Num(-5, 5), "tags": ListOf(Str(), 3, into=tuple)}, check=_ordered)


def test_a_section_builds_its_dataclass_then_runs_its_check():
    assert BOX("box", {"hi": 2, "tags": ["a"]}) == _Box(0.0, 2.0, ("a",))
    assert BOX("box", None) == _Box()
    with pytest.raises(ConfigError, match=r"^box.tags\[1\]: 3 is not a non-empty string$"):
        BOX("box", {"tags": ["a", 3]})
    with pytest.raises(ConfigError, match=r"^box.hue: unknown key \(allowed: lo, hi, tags\)$"):
        BOX("box", {"hue": 1})
    with pytest.raises(ConfigError, match="^box.lo: 3.0 must be <= hi$"):
        BOX("box", {"lo": 3})
