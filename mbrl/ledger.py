"""What each learner paid for its real evaluations: one rule for the trace and the paper worlds
(issue 28), and a guard that keeps the scoring data out of every learner's reach.

The rule. A learner's real evaluations go through its own :class:`Ledger`, in one of two forms:

- a *question* (:meth:`Ledger.ask`) has one answer: the traces' (window, lost set, k) always gives
  the same perplexity. The first ask is paid and its answer kept; asking again is free (the
  answer is reused, counted as a repeat). Free for the learner that already paid, not for others:
  each learner has its own ledger, so none rides on another's bill;
- a *draw* (:meth:`Ledger.draw`) is a fresh sample: the paper's damaged (p, k) under a new mask.
  Each one is new information and is paid every time, whether it ran live (seconds measured) or
  a bank entry stood in for it (seconds an ESTIMATE: the entry's, measured when the bank was
  built). Measured and estimated seconds are never added up here; a caller that reports
  ``measured_s + estimated_s`` must say that part of it is estimated.

Answers known without evaluating (an intact activation, p = 0: exact) never reach a ledger.

Every entry has a purpose, one of :data:`PURPOSES`. ``setting_selection`` is the cost of choosing
settings (step sizes, surrogate form, budget): reported beside a learner's own cost, never in it
(``totals()["own"]`` against ``["selection"]``, or a ledger of its own named e.g. "selection").

The truth is never training data. :class:`ScoringData` holds the scoring data with the ids it was
built from (held-out trace seeds; the scoring bank's mask seeds). A ledger given it refuses any
bank, draw or question whose source id is a scoring id (:class:`ScoringLeak`), and
:func:`assert_disjoint` checks two id sets where data are built. Python cannot hide an object
from code that holds it: the referee keeps the :class:`ScoringData`, learners get ledgers, and the
guard makes a leak loud rather than impossible.
"""
from __future__ import annotations

import numbers
import time
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Callable, Hashable, Iterable, NamedTuple, Sequence

PURPOSES = ("surrogate_fit", "training_step", "checkpoint_choice", "setting_selection")
SELECTION = "setting_selection"


class ScoringLeak(ValueError):
    """A learner-side id is one the scoring data is built from."""


def assert_disjoint(train_ids: Iterable[Hashable], scoring_ids: Iterable[Hashable], what: str = "ids") -> None:
    """Raises :class:`ScoringLeak` naming ``what``, how many ids overlap and (up to 5 of) which."""
    overlap = set(train_ids) & set(scoring_ids)
    if overlap:
        shown = sorted(map(repr, overlap))  # repr: ids of mixed types still sort
        more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
        raise ScoringLeak(f"{what}: {len(overlap)} learner-side id(s) are also scoring ids: "
                          f"{', '.join(shown[:5])}{more}")


class ScoringData:
    """The scoring data (``data``: a bank, a held-out table) and the ``ids`` it was built from.

    The referee reads the data with :meth:`for_referee`; learners get a :class:`Ledger` built
    with this object, which checks every source id they name against ``ids``."""

    def __init__(self, ids: Iterable[Hashable], data: Any = None, what: str = "scoring data"):
        self.ids, self.what, self._data = frozenset(ids), what, data

    def __contains__(self, source: Hashable) -> bool:
        return source in self.ids

    def check(self, ids: Iterable[Hashable], what: str) -> None:
        """Refuses learner-side ``ids`` (a training bank's entries, train trace seeds) that overlap."""
        assert_disjoint(ids, self.ids, f"{what} against {self.what}")

    def for_referee(self) -> Any:
        """The data itself: for scoring deployed policies only (named so a learner-side call stands out)."""
        return self._data


class Entry(NamedTuple):
    """One paid real evaluation. ``kind``: "question" or "draw"; ``key``: the question (None for a
    draw); ``charge``: real evaluations it counts as; ``seconds``: s, an estimate when
    ``estimated``; ``bank``, ``bank_entry``: which bank entry stood in for a draw (else None)."""
    kind: str
    purpose: str
    key: Hashable | None
    charge: int
    seconds: float
    estimated: bool
    bank: str | None
    bank_entry: Hashable | None


@dataclass
class Tally:
    """Counts of a set of entries: ``paid`` real evaluations charged (a stratified one counts 2),
    ``questions`` distinct questions paid (each under the purpose of its first ask), ``repeats``
    free re-asks, ``draws`` paid draws; ``measured_s`` and ``estimated_s`` in seconds, apart."""
    paid: int = 0
    questions: int = 0
    repeats: int = 0
    draws: int = 0
    measured_s: float = 0.0
    estimated_s: float = 0.0

    def add(self, e: Entry) -> None:
        self.paid += e.charge
        self.questions += e.kind == "question"
        self.draws += e.kind == "draw"
        if e.estimated:
            self.estimated_s += e.seconds
        else:
            self.measured_s += e.seconds


class Ledger:
    """One learner's real evaluations (module doc). ``learner``: its name in reports; ``scoring``:
    the guard its sources are checked against; ``clock``: seconds for measured questions."""

    def __init__(self, learner: str, scoring: ScoringData | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self.learner, self.scoring, self.clock = str(learner), scoring, clock
        self.entries: list[Entry] = []
        self._answers: dict[Hashable, Any] = {}
        # A repeat costs nothing, so it is counted, not listed: a learner may repeat millions of times.
        self._repeats = dict.fromkeys(PURPOSES, 0)
        # Running counts per purpose, kept as entries are paid: totals() is read at every checkpoint.
        self._paid = {p: Tally() for p in PURPOSES}
        self._banks: dict[str, dict] = {}

    def ask(self, key: Hashable, purpose: str, compute: Callable[[], Any], *, charge: int = 1,
            estimate_s: float | None = None, source: Hashable | None = None) -> Any:
        """The answer to deterministic question ``key``: ``compute()`` on the first ask (paid
        ``charge``), the kept answer after (free). Seconds: ``compute()`` timed (measured), or
        ``estimate_s`` when the answer comes from a table (compute not timed)."""
        self._check(purpose, source, "question", charge, 0.0 if estimate_s is None else estimate_s)
        if key in self._answers:
            self._repeats[purpose] += 1
            return self._answers[key]
        t0 = self.clock() if estimate_s is None else 0.0
        answer = compute()  # raises before anything is recorded: an evaluation that failed is not paid
        seconds = self.clock() - t0 if estimate_s is None else estimate_s
        self._pay(Entry("question", purpose, key, charge, seconds, estimate_s is not None, None, None))
        self._answers[key] = answer
        return answer

    def draw(self, purpose: str, seconds: float, *, charge: int = 1, bank: str | None = None,
             bank_entry: Hashable | None = None, source: Hashable | None = None) -> None:
        """Records one paid draw. Live (``bank`` None): ``seconds`` measured. From ``bank``
        (declared by :meth:`add_bank`) entry ``bank_entry``: ``seconds`` that entry's, estimated."""
        self._check(purpose, source, "draw", charge, seconds)
        if bank is not None:
            if bank not in self._banks:
                raise ValueError(f"bank: {bank!r} was not added to {self.learner}'s ledger (add_bank)")
            b = self._banks[bank]
            if bank_entry not in b["ids"]:
                raise ValueError(f"bank_entry: {bank_entry!r} is not an entry of bank {bank!r}")
            b["draws"] += 1
            b["served"].add(bank_entry)
        self._pay(Entry("draw", purpose, None, charge, seconds, bank is not None, bank, bank_entry))

    def add_bank(self, name: str, ids: Iterable[Hashable]) -> None:
        """Declares a bank this learner draws from, by its entries' ids (e.g. (p index, k index,
        mask seed)); refused if one is a scoring id. Its size is the number of ids."""
        ids = frozenset(ids)
        if self.scoring is not None:
            self.scoring.check(ids, f"{self.learner}'s bank {name!r}")
        self._banks[name] = {"ids": ids, "draws": 0, "served": set()}

    def known(self, key: Hashable) -> bool:
        """Whether asking ``key`` again would be free."""
        return key in self._answers

    @property
    def answers(self) -> MappingProxyType:
        """The questions paid so far and their answers (read-only)."""
        return MappingProxyType(self._answers)

    def totals(self) -> dict:
        """{"all", "own" (every purpose but setting_selection), "selection"}: each a :class:`Tally`
        as a dict; ``by_purpose``: one per purpose; ``banks``: :meth:`banks`."""
        by = {p: Tally(**{**asdict(self._paid[p]), "repeats": self._repeats[p]}) for p in PURPOSES}
        own = _sum(t for p, t in by.items() if p != SELECTION)
        return {"all": asdict(_sum(by.values())), "own": asdict(own), "selection": asdict(by[SELECTION]),
                "by_purpose": {p: asdict(t) for p, t in by.items()}, "banks": self.banks()}

    def banks(self) -> dict:
        """Per bank: ``size`` (entries), ``draws`` served, ``distinct`` entries served and
        ``repeat_rate`` = 1 - distinct / draws (the share of draws that reused an entry; 0 if none)."""
        return {n: {"size": len(b["ids"]), "draws": b["draws"], "distinct": len(b["served"]),
                    "repeat_rate": 1 - len(b["served"]) / b["draws"] if b["draws"] else 0.0}
                for n, b in self._banks.items()}

    def snapshot(self) -> dict:
        """Cumulative cost now, to store beside a checkpoint's score: ``paid`` and ``own_paid``
        (real evaluations), ``measured_s`` and ``estimated_s`` (s), ``questions``, ``repeats``, ``draws``."""
        t = self.totals()
        return {**t["all"], "own_paid": t["own"]["paid"]}

    def curve(self) -> dict:
        """Cumulative cost after each paid entry, in order: lists ``paid``, ``own_paid``,
        ``measured_s``, ``estimated_s`` (one value per entry; a benchmark's x axis)."""
        out: dict[str, list] = {"paid": [], "own_paid": [], "measured_s": [], "estimated_s": []}
        paid = own = 0
        meas = est = 0.0
        for e in self.entries:
            paid += e.charge
            own += e.charge * (e.purpose != SELECTION)
            meas += 0.0 if e.estimated else e.seconds
            est += e.seconds if e.estimated else 0.0
            for k, v in zip(out, (paid, own, meas, est)):
                out[k].append(v)
        return out

    def to_dict(self, curve: bool = False) -> dict:
        """JSON-ready report: ``learner``, ``totals()``'s keys, and :meth:`curve` if ``curve``."""
        d = {"learner": self.learner, **self.totals()}
        if curve:
            d["curve"] = self.curve()
        return d

    def _check(self, purpose: str, source: Hashable | None, what: str, charge: int, seconds: float) -> None:
        """Everything a call can get wrong, checked before it evaluates or counts anything."""
        if purpose not in PURPOSES:
            raise ValueError(f"purpose: {purpose!r} is not one of {', '.join(PURPOSES)}")
        if source is not None and self.scoring is not None and source in self.scoring:
            raise ScoringLeak(f"{self.learner}: a {what} for {purpose} comes from {source!r}, "
                              f"a source of {self.scoring.what}")
        if isinstance(charge, bool) or not isinstance(charge, numbers.Integral) or charge < 1:
            raise ValueError(f"charge: {charge!r} must be an integer >= 1 (a free answer is not recorded)")
        if not 0.0 <= seconds < float("inf"):  # NaN fails too
            raise ValueError(f"seconds: {seconds!r} must be finite and >= 0")

    def _pay(self, e: Entry) -> None:
        # plain int and float: a bank's numpy values would not serialise in to_dict's JSON
        e = e._replace(charge=int(e.charge), seconds=float(e.seconds))
        self.entries.append(e)
        self._paid[e.purpose].add(e)


def _sum(tallies: Iterable[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        for k, v in asdict(t).items():
            setattr(out, k, getattr(out, k) + v)
    return out


def cost_report(ledgers: Sequence[Ledger], selection: Ledger | None = None) -> dict:
    """Per learner: ``own`` cost (its entries but setting_selection) and ``selection`` beside it
    (its own setting_selection entries plus the whole shared ``selection`` ledger), never summed
    into ``own``; ``paid_with_selection`` for the ratio printed beside the headline one."""
    shared = Tally() if selection is None else Tally(**selection.totals()["all"])
    out = {}
    for led in ledgers:
        t = led.totals()
        sel = _sum([Tally(**t["selection"]), shared])
        out[led.learner] = {"own": t["own"], "selection": asdict(sel), "banks": t["banks"],
                            "paid_with_selection": t["own"]["paid"] + sel.paid}
    return out
