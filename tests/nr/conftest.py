"""Fixtures of the NR cell tests (helpers: nr_helpers.py)."""

from nr_helpers import run_nr  # noqa: F401  (fixture)
