"""mbrl.ledger: one charging rule for both worlds, purposes, seconds kept apart, bank repeat rates,
the cost curve, the JSON form and the guard that keeps the scoring data away from learners."""
import json

import numpy as np
import pytest

from mbrl.ledger import (PURPOSES, Ledger, ScoringData, ScoringLeak, assert_disjoint, cost_report)

Q = (3, frozenset({1, 4}), 10)  # a trace-world question: (window, lost packets, k)


class Counter:
    """A compute function that counts its calls, so a free answer is seen not to evaluate."""

    def __init__(self, value=1.5):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


class FakeClock:
    """perf_counter stand-in: each call returns the next value, so measured seconds are exact."""

    def __init__(self, *ticks):
        self.ticks = list(ticks)

    def __call__(self):
        return self.ticks.pop(0)


def test_a_repeated_question_is_free_and_every_draw_is_paid_for_every_learner():
    """The rule is per learner: a learner re-asking what it already paid for pays nothing, but a
    second learner asking the same question pays its own first ask, so no learner rides on
    another's bill. A draw is new information: paid each time, even the same bank entry again."""
    for name in ("mbrl", "ppo", "a2c"):
        led, f = Ledger(name), Counter()
        assert led.ask(Q, "training_step", f, estimate_s=0.1) == 1.5
        assert led.ask(Q, "checkpoint_choice", f, estimate_s=0.1) == 1.5   # free whatever the purpose
        assert led.ask(Q, "training_step", f, estimate_s=0.1) == 1.5
        assert f.calls == 1 and led.known(Q) and led.answers[Q] == 1.5
        led.add_bank("train", [(1, 2, 7), (1, 2, 8)])
        for _ in range(3):
            led.draw("training_step", 0.2, bank="train", bank_entry=(1, 2, 7))
        led.draw("training_step", 0.3, charge=2, bank="train", bank_entry=(1, 2, 8))  # stratified: 2
        led.draw("training_step", 0.4)  # live
        t = led.totals()["all"]
        assert (t["paid"], t["questions"], t["repeats"], t["draws"]) == (1 + 3 + 2 + 1, 1, 2, 5)
    a, b, f = Ledger("a"), Ledger("b"), Counter()
    a.ask(Q, "training_step", f)
    b.ask(Q, "training_step", f)
    assert f.calls == 2 and a.totals()["all"]["paid"] == b.totals()["all"]["paid"] == 1
    assert b.totals()["all"]["repeats"] == 0


def test_a_failed_or_invalid_evaluation_is_not_paid():
    led = Ledger("mbrl")

    def boom():
        raise RuntimeError("tail pass failed")
    with pytest.raises(RuntimeError):
        led.ask(Q, "training_step", boom)
    assert not led.known(Q) and led.entries == []
    for bad in (0, -1, 1.0, True):
        with pytest.raises(ValueError, match="charge"):
            led.draw("training_step", 0.1, charge=bad)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="seconds"):
            led.draw("training_step", bad)
    led.add_bank("train", ["m0"])
    with pytest.raises(ValueError, match="charge"):
        led.draw("training_step", 0.1, charge=0, bank="train", bank_entry="m0")
    assert led.entries == [] and led.banks()["train"]["draws"] == 0  # nothing counted before the check


def test_purposes_are_recorded_and_a_bad_purpose_is_rejected():
    led, f = Ledger("mbrl"), Counter()
    led.ask(("w", 1), "surrogate_fit", f, estimate_s=0.1)
    led.ask(("w", 2), "surrogate_fit", f, estimate_s=0.1)
    led.ask(("w", 1), "checkpoint_choice", f)               # a free repeat, under its own purpose
    led.draw("training_step", 0.5)
    led.draw("setting_selection", 0.5, charge=2)
    by = led.totals()["by_purpose"]
    assert set(by) == set(PURPOSES)
    assert (by["surrogate_fit"]["paid"], by["surrogate_fit"]["questions"]) == (2, 2)
    assert (by["checkpoint_choice"]["paid"], by["checkpoint_choice"]["repeats"]) == (0, 1)
    assert (by["training_step"]["draws"], by["setting_selection"]["paid"]) == (1, 2)
    assert [e.purpose for e in led.entries] == ["surrogate_fit", "surrogate_fit", "training_step", "setting_selection"]
    t = led.totals()
    assert (t["own"]["paid"], t["selection"]["paid"], t["all"]["paid"]) == (3, 2, 5)
    for bad in ("training", "Training_step", "", None):
        with pytest.raises(ValueError, match="purpose") as err:
            led.ask(("w", 9), bad, f)
        assert all(p in str(err.value) for p in PURPOSES)
        with pytest.raises(ValueError, match="purpose"):
            led.draw(bad, 0.1)
    assert f.calls == 2 and len(led.entries) == 4  # a rejected call evaluates and records nothing


def test_measured_and_estimated_seconds_are_kept_apart():
    led = Ledger("mbrl", clock=FakeClock(10.0, 10.25))
    led.ask("q1", "surrogate_fit", Counter())                 # timed live: 0.25 s measured
    led.ask("q2", "surrogate_fit", Counter(), estimate_s=0.5)  # from a table: not timed, estimated
    led.draw("training_step", 2.0)                            # live draw: measured
    led.add_bank("train", ["e"])
    led.draw("training_step", 4.0, bank="train", bank_entry="e")  # bank stands in: estimated
    t = led.totals()["all"]
    assert t["measured_s"] == pytest.approx(2.25) and t["estimated_s"] == pytest.approx(4.5)
    assert [e.estimated for e in led.entries] == [False, True, False, True]


def test_bank_size_and_repeat_rate_on_a_hand_case():
    led = Ledger("ppo")
    led.add_bank("train", ["a", "b", "c", "d"])
    led.add_bank("spare", range(10))
    for e in ["a", "b", "a", "a", "c"]:
        led.draw("training_step", 1.0, bank="train", bank_entry=e)
    # 5 draws served by 3 distinct entries: 2 of the 5 reused an entry
    assert led.banks() == {"train": {"size": 4, "draws": 5, "distinct": 3, "repeat_rate": pytest.approx(0.4)},
                           "spare": {"size": 10, "draws": 0, "distinct": 0, "repeat_rate": 0.0}}
    with pytest.raises(ValueError, match="bank_entry"):
        led.draw("training_step", 1.0, bank="train", bank_entry="z")
    with pytest.raises(ValueError, match="add_bank"):
        led.draw("training_step", 1.0, bank="scoring", bank_entry="a")
    assert led.banks()["train"]["draws"] == 5


def test_cumulative_curve_and_snapshot():
    led = Ledger("mbrl")
    led.ask("q", "surrogate_fit", Counter(), estimate_s=0.1)   # paid 1, estimated
    led.ask("q", "training_step", Counter(), estimate_s=0.1)   # free: no point on the curve
    led.draw("training_step", 0.5, charge=2)                   # paid 2, measured
    led.draw("setting_selection", 1.0)                         # paid 1, measured, selection
    c = led.curve()
    assert c["paid"] == [1, 3, 4] and c["own_paid"] == [1, 3, 3]
    assert c["measured_s"] == pytest.approx([0.0, 0.5, 1.5]) and c["estimated_s"] == pytest.approx([0.1, 0.1, 0.1])
    s = led.snapshot()
    assert (s["paid"], s["own_paid"], s["questions"], s["repeats"], s["draws"]) == (4, 3, 1, 1, 2)
    assert s["measured_s"] == pytest.approx(1.5) and s["estimated_s"] == pytest.approx(0.1)


def test_json_round_trip():
    led = Ledger("model_free")
    led.add_bank("train", [(0, 1, 10_000), (0, 1, 10_001)])
    led.ask(Q, "training_step", Counter(), estimate_s=0.125)
    led.ask(Q, "checkpoint_choice", Counter(), estimate_s=0.125)
    led.draw("training_step", 0.3, bank="train", bank_entry=(0, 1, 10_000))
    # a bank's own numpy values, as the paper world's bank.evals and bank.secs hold them
    led.draw("training_step", np.float64(0.3), charge=np.int64(1), bank="train", bank_entry=(0, 1, 10_000))
    d = led.to_dict(curve=True)
    assert json.loads(json.dumps(d)) == d          # plain JSON types only: no tuple, set or numpy value
    assert d["learner"] == "model_free" and d["all"]["paid"] == 3 and d["all"]["repeats"] == 1
    assert d["banks"]["train"] == {"size": 2, "draws": 2, "distinct": 1, "repeat_rate": 0.5}
    assert d["curve"]["paid"] == [1, 2, 3]
    assert "curve" not in led.to_dict()


def test_selection_cost_is_reported_beside_own_cost():
    mbrl, ppo, sel = Ledger("mbrl"), Ledger("ppo"), Ledger("selection")
    mbrl.draw("surrogate_fit", 1.0, charge=5)
    mbrl.draw("setting_selection", 1.0, charge=2)      # a choice made by mbrl's own ledger
    ppo.draw("training_step", 1.0, charge=40)
    sel.draw("setting_selection", 1.0, charge=100)     # the shared grid, its own ledger
    r = cost_report([mbrl, ppo], sel)
    assert r["mbrl"]["own"]["paid"] == 5 and r["mbrl"]["selection"]["paid"] == 102
    assert r["ppo"]["own"]["paid"] == 40 and r["ppo"]["selection"]["paid"] == 100
    assert r["mbrl"]["paid_with_selection"] == 107 and r["ppo"]["paid_with_selection"] == 140
    assert cost_report([ppo])["ppo"]["selection"]["paid"] == 0


def test_scoring_data_is_unreachable_from_learner_sources():
    with pytest.raises(ScoringLeak, match=r"trace seeds: 1 learner-side id\(s\) .*\b7\b"):
        assert_disjoint([1, 2, 7], [7, 8, 9], what="trace seeds")
    assert_disjoint([1, 2], [7, 8], what="trace seeds")  # disjoint: passes
    with pytest.raises(ScoringLeak, match="and 2 more"):
        assert_disjoint(range(10), range(3, 10), what="mask seeds")
    scoring = ScoringData([(0, 1, 90_000), (0, 1, 90_001), "test-seed-5"], data="the truth", what="scoring bank")
    led, f = Ledger("ppo", scoring=scoring), Counter()
    with pytest.raises(ScoringLeak, match=r"ppo's bank 'train' against scoring bank.*90001"):
        led.add_bank("train", [(0, 1, 10_000), (0, 1, 90_001)])
    assert led.banks() == {}
    with pytest.raises(ScoringLeak, match="test-seed-5"):
        led.ask(Q, "checkpoint_choice", f, source="test-seed-5")
    with pytest.raises(ScoringLeak, match=r"90000"):
        led.draw("training_step", 0.1, source=(0, 1, 90_000))
    assert f.calls == 0 and led.entries == []
    led.add_bank("train", [(0, 1, 10_000)])            # disjoint sources pass
    led.ask(Q, "training_step", f, source="train-seed-1")
    assert led.totals()["all"]["paid"] == 1 and scoring.for_referee() == "the truth"
