"""What a run's hooks charged, kept only as long as the report needs it.

A 10,000-test suite charges thousands of leaks. When they are reported in
detail (``-v 2``, ``--leak-report``, ``--cache-dependencies``) every record is
kept; otherwise only what the summary line says is, folded in a batch at a
time: nothing per test then grows with the suite.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from isolatedtest.outcomes import (
    Access,
    Count,
    Leak,
    Outcome,
    PendingLeak,
    RawWrite,
    Reads,
    ResetFailure,
    counted,
)

BATCH = 1000  # charges worked out at a time

# What a hook records: (scope, test id or class path, outcomes).
Charge = tuple[str, str, list[Outcome]]


@dataclass(slots=True)
class Record:
    """One outcome (a leak, a failed reset...), charged to the scope it ended."""

    scope: str  # "test", "class", "run", or a pytest node kind ("module"...)
    name: str  # the test id, or the class's dotted path
    outcome: Outcome


@dataclass
class Tally:
    """What the summary line counts."""

    tests: int = 0
    # Other scopes that leaked, by kind: "class", or pytest's "module"...
    scopes: dict[str, int] = field(default_factory=dict)
    keys: int = 0
    attributes: int = 0
    aliases: set[str] = field(default_factory=set)
    changes: dict[str, int] = field(default_factory=dict)  # {"added": n, ...}

    def count(self, scope: str, leaks: list[Count]) -> None:
        """Count one scope's leaks."""
        if not leaks:
            return
        if scope == "test":
            self.tests += 1
        else:
            self.scopes[scope] = self.scopes.get(scope, 0) + 1
        for name, keys, attributes, kinds in leaks:
            self.keys += keys
            self.attributes += attributes
            self.aliases.add(name)
            for kind, n in kinds.items():
                self.changes[kind] = self.changes.get(kind, 0) + n

    def add(self, other: Tally) -> None:
        """Add the counts of another process's run (a pytest-xdist worker's)."""
        self.tests += other.tests
        for scope, count in other.scopes.items():
            self.scopes[scope] = self.scopes.get(scope, 0) + count
        self.keys += other.keys
        self.attributes += other.attributes
        self.aliases |= other.aliases
        for kind, n in other.changes.items():
            self.changes[kind] = self.changes.get(kind, 0) + n


def resolve(outcomes: list[Outcome]) -> list[Outcome]:
    """Return ``outcomes`` with pending leaks worked out (empty ones dropped)."""
    resolved = []
    for outcome in outcomes:
        if isinstance(outcome, PendingLeak):
            outcome = outcome.resolve()
        if outcome is not None:
            resolved.append(outcome)
    return resolved


def _reads(data: dict) -> Reads:
    accesses = tuple(Access(**access) for access in data["accesses"])
    return Reads(accesses, dict(data["first"]), dict(data["left"]))


def _with_tuples(kind: type):
    def build(data: dict):
        for name in ("keys", "attributes", "changes"):
            if name in data:
                data[name] = tuple(data[name])
        return kind(**data)

    return build


# How each kind of outcome comes back from another process's export.
_OUTCOMES = {
    "Leak": _with_tuples(Leak),
    "RawWrite": _with_tuples(RawWrite),
    "ResetFailure": _with_tuples(ResetFailure),
    "Reads": _reads,
}


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

    def export(self) -> dict:
        """Return what this process charged, as plain data for another process."""
        records = self.records()
        return {
            "tally": {**asdict(self.tally), "aliases": sorted(self.tally.aliases)},
            "records": [
                {
                    "scope": r.scope,
                    "name": r.name,
                    "outcome": type(r.outcome).__name__,
                    **asdict(r.outcome),
                }
                for r in records
            ],
        }

    def absorb(self, exported: dict) -> None:
        """Add what another process's ledger exported."""
        self._fold()
        tally = dict(exported["tally"])
        tally["aliases"] = set(tally["aliases"])
        self.tally.add(Tally(**tally))
        for data in exported["records"]:
            data = dict(data)
            scope, name = data.pop("scope"), data.pop("name")
            outcome = _OUTCOMES[data.pop("outcome")](data)
            self._kept.append(Record(scope, name, outcome))

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
                    # Cheaper to count than to resolve.
                    found = outcome.count()
                    if found is not None:
                        leaks.append(found)
                    continue
                if isinstance(outcome, Leak):
                    leaks.append(counted(outcome))
                    if not self.detailed:
                        continue
                self._kept.append(Record(scope, name, outcome))
            self.tally.count(scope, leaks)
        self._pending = []
