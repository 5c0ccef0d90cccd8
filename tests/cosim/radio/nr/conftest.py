"""Fixtures of the NR cell tests: every test runs the real nr_cell program (ns-3 + 5G-LENA).
Helpers (nr_scenario, Run, HARQ and no-value codes): tests/testkit/cells.py."""

from __future__ import annotations

import pytest

from testkit.cells import cell_runner


@pytest.fixture
def run_nr(tmp_path):
    """run_nr(mapping, name="run", **overrides) -> Run: writes the YAML, runs it, reads the traces back."""
    return cell_runner(tmp_path)
