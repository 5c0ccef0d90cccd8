"""benchmarks/studies/handover_phases.py sorts each request into the phase its docstring states,
from its arrival and its own UE's handovers, and scores it with the agent's default reward."""

import importlib.util
import math
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def study():
    spec = importlib.util.spec_from_file_location("_bench_handover_phases",
                                                  ROOT / "benchmarks" / "studies" / "handover_phases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_requests_fall_in_the_phases_of_their_own_ues_handovers(study):
    lead, window = study.DURING_LEAD_S, study.WINDOW_S
    # UE 0: a handover command at 10 s, completed at 10.05 s; UE 1 none
    handovers = pd.DataFrame({"ue": [0, 0], "event": ["start", "end"], "t_ns": [10_000_000_000, 10_050_000_000]})
    arrivals = [10 - lead - window - 0.01, 10 - lead - window, 10 - lead - 0.01, 10 - lead, 10.04, 10.05,
                10.05 + window - 0.01, 10.05 + window]
    requests = pd.DataFrame({"ue": [0] * len(arrivals) + [1], "t_arrival_s": arrivals + [10.0]})
    assert list(study.phases(requests, handovers)) == [
        "away", "before", "before", "during", "during", "after", "after", "away", "away"]


def test_a_failed_handover_ends_its_phase_like_a_completed_one(study):
    handovers = pd.DataFrame({"ue": [0, 0], "event": ["start", "failure"], "t_ns": [5_000_000_000, 5_200_000_000]})
    requests = pd.DataFrame({"ue": [0, 0], "t_arrival_s": [5.1, 5.3]})
    assert list(study.phases(requests, handovers)) == ["during", "after"]


def test_the_reward_is_the_agents_default(study):
    requests = pd.DataFrame({"ppl": [20.0, 1e9], "ppl_clean": [10.0, 10.0], "k": [0, 30]})
    r = study.rewards(requests, 30).to_numpy()
    assert r[0] == pytest.approx(10.5 * math.log(0.5) + 1.0)
    assert r[1] == pytest.approx(10.5 * -10.0)  # quality floored, no UE share at k = L
