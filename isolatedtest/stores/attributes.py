"""Cache objects' own state: attributes a test sets, rebinds or deletes on them.

A test that does ``cache.set = Mock()`` or ``caches["x"].key_prefix = "..."``
and never puts it back changes that cache for every later test; clearing
data cannot undo it, and replacing the object would break code that holds
it. Every adopted instance's class records, the first time one of its
attributes changes in a scope, what it was; the scope's end puts it back in
place and reports which attributes changed. A test that changes no attribute
costs nothing. What a cache object does to itself (a client it connects
lazily, a cached property) is its own business: not recorded.
"""

from __future__ import annotations

import sys

from isolatedtest.conf import Config
from isolatedtest.stores import Leak
from isolatedtest.stores.adoption import extend, install, origin

ABSENT = object()  # an attribute the instance did not have


class Journal:
    """What the attributes of cache instances were before a scope changed them."""

    __slots__ = ("changes", "exempt", "uncharged")

    def __init__(self) -> None:
        # {id(instance): (instance, {name: value before, or ABSENT})}
        self.changes: dict[int, tuple[object, dict[str, object]]] = {}
        self.exempt = False  # an exempt test runs: its changes are not charged
        self.uncharged: set[tuple[int, str]] = set()

    def note(self, instance, name: str) -> None:
        entry = self.changes.get(id(instance))
        if entry is None:
            entry = self.changes[id(instance)] = (instance, {})
        if name not in entry[1]:
            entry[1][name] = instance.__dict__.get(name, ABSENT)
            if self.exempt:
                self.uncharged.add((id(instance), name))


_journal: Journal | None = None  # the current scope's; None when not isolating


class TrackedAttributes:
    """Record a change of an attribute made from outside the instance."""

    def __setattr__(self, name, value):
        if _journal is not None and sys._getframe(1).f_locals.get("self") is not self:
            _journal.note(self, name)
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if _journal is not None and sys._getframe(1).f_locals.get("self") is not self:
            _journal.note(self, name)
        super().__delattr__(name)


class AttributeStore:
    """The attributes of every cache instance of this process, per scope."""

    def __init__(self, config: Config, reset: bool) -> None:
        self.reset = reset
        self._excluded = config.exclude_aliases
        # A class's setup runs before its first test starts: the class journal
        # is open from the end of the previous class (as LocMem's snapshot).
        self._class = Journal()
        self._test = Journal()  # reused: a test without changes costs nothing
        # Enclosing scopes' journals, innermost last, when scopes nest deeper
        # than run and class (pytest's).
        self._levels: list[Journal] = []
        self._resume: Journal | None = None  # the journal a fixture interrupted
        install("attributes", self.adopt)

    def adopt(self, alias: str, instance) -> None:
        if alias not in self._excluded:
            extend(instance, TrackedAttributes)

    def start_worker(self) -> None:
        pass

    def start_run(self) -> None:
        global _journal
        _journal = self._class

    def start_class(self) -> None:
        pass

    def start_test(self) -> None:
        global _journal
        _journal = self._test

    def end_test(self) -> list[Leak]:
        global _journal
        _journal = self._class
        if not self._test.changes:
            return []
        return self._settle(self._test, report=True)

    def start_exempt_test(self) -> None:
        # The class keeps what an exempt test changes, uncharged.
        global _journal
        _journal = self._class
        self._class.exempt = True

    def end_exempt_test(self) -> None:
        self._class.exempt = False

    def end_class(self, report: bool) -> list[Leak]:
        global _journal
        _journal = self._class
        return self._settle(self._class, report)

    def abort_class(self) -> None:
        self.end_class(report=False)

    def end_run(self) -> list[Leak]:
        global _journal
        _journal = None
        self._class.changes.clear()
        return []

    def open_scope(self) -> None:
        global _journal
        self._levels.append(self._class)
        _journal = self._class = Journal()

    def close_scope(self, report: bool) -> list[Leak]:
        global _journal
        leaks = self._settle(self._class, report)
        _journal = self._class = self._levels.pop()
        return leaks

    def begin_fixture(self, depth: int) -> None:
        global _journal
        self._resume = _journal
        journals = [*self._levels[1:], self._class]
        _journal = journals[depth]

    def end_fixture(self, depth: int) -> None:
        global _journal
        _journal, self._resume = self._resume, None

    def _settle(self, journal: Journal, report: bool) -> list[Leak]:
        """Report what changed since ``journal`` began; put it back when isolating."""
        leaks = []
        for instance, before in journal.changes.values():
            now = instance.__dict__
            changed = sorted(
                name
                for name, value in before.items()
                if now.get(name, ABSENT) is not value
            )
            if not changed:
                continue
            charged = [
                name
                for name in changed
                if (id(instance), name) not in journal.uncharged
            ]
            if report and charged:
                leaks.append(Leak(*origin(instance), (), tuple(charged)))
            if self.reset:
                for name in changed:
                    if before[name] is ABSENT:
                        now.pop(name, None)
                    else:
                        now[name] = before[name]
        journal.changes.clear()
        journal.uncharged.clear()
        return leaks
