"""Fixtures of the LTE cell tests: every test runs the real lte_cell program (ns-3).
Helpers (scenario mapping, Run, HARQ and no-value codes): tests/testkit/cells.py."""

from __future__ import annotations

import pytest

from testkit.cells import cell_runner


@pytest.fixture
def run_lte(tmp_path):
    """run_lte(mapping, name="run", **overrides) -> Run: writes the YAML, runs it, reads the traces back."""
    return cell_runner(tmp_path)
