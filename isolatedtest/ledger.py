"""What a run's hooks charged, kept only as long as the report needs it.

A 10,000-test suite charges thousands of leaks. When they are reported in
detail (``-v 2``, ``--leak-report``, ``--cache-dependencies``) every record is
kept; otherwise only what the summary line says is, folded in a batch at a
time: nothing per test then grows with the suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from isolatedtest.stores import Leak, Outcome, PendingLeak

BATCH = 1000  # charges worked out at a time

# What a hook records: (scope, test id or class path, outcomes).
Charge = tuple[str, str, list[Outcome]]


@dataclass(slots=True)
class Record:
    """One outcome (a leak, a failed reset...), charged to the scope it ended."""

    scope: str  # "test", "class" or "run"
    name: str  # the test id, or the class's dotted path
    outcome: Outcome


@dataclass
class Tally:
    """What the summary line counts."""

    tests: int = 0
    classes: int = 0
    keys: int = 0
    attributes: int = 0
    aliases: set[str] = field(default_factory=set)

    def count(self, scope: str, leaks: list[tuple[str, int, int]]) -> None:
        """Count one scope's leaks: (alias or location, keys, attributes) each."""
        if not leaks:
            return
        self.tests += scope == "test"
        self.classes += scope == "class"
        for name, keys, attributes in leaks:
            self.keys += keys
            self.attributes += attributes
            self.aliases.add(name)


def resolve(outcomes: list[Outcome]) -> list[Outcome]:
    """Return ``outcomes`` with pending leaks worked out (empty ones dropped)."""
    resolved = []
    for outcome in outcomes:
        if isinstance(outcome, PendingLeak):
            outcome = outcome.resolve()
        if outcome is not None:
            resolved.append(outcome)
    return resolved


class Ledger:
    """The run's charges: counted for the summary, kept when reported in detail."""

    def __init__(self, detailed: bool) -> None:
        self.detailed = detailed
        self.tally = Tally()
        self._kept: list[Record] = []
        self._pending: list[Charge] = []

    def append(self, charge: Charge) -> None:
        self._pending.append(charge)
        if len(self._pending) >= BATCH:
            self._fold()

    def records(self) -> list[Record]:
        """Every kept record: all of them when detailed, else all but leaks."""
        self._fold()
        return self._kept

    def _fold(self) -> None:
        for scope, name, outcomes in self._pending:
            if self.detailed:
                outcomes = resolve(outcomes)
            leaks = []
            for outcome in outcomes:
                if isinstance(outcome, PendingLeak):
                    counted = outcome.count()  # cheaper than resolving it
                    if counted is not None:
                        leaks.append((*counted, 0))
                    continue
                if isinstance(outcome, Leak):
                    name_ = outcome.alias or outcome.location
                    leaks.append((name_, len(outcome.keys), len(outcome.attributes)))
                    if not self.detailed:
                        continue
                self._kept.append(Record(scope, name, outcome))
            self.tally.count(scope, leaks)
        self._pending = []
