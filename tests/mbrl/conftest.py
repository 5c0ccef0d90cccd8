"""Fixtures of the mbrl tests: `synth`, synthetic decision states and a known real-evaluation
table (no ns-3, no LLM) for fast tests. Helpers (synthetic, SyntheticDataset, L):
tests/testkit/synthetic.py."""
import pytest
import torch

from testkit.synthetic import SyntheticDataset

# Two cores shared with other jobs: more threads only contend (100x slower fits measured).
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def synth():
    return SyntheticDataset()
