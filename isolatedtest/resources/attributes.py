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
from isolatedtest.engine import Resource, Scope
from isolatedtest.outcomes import Leak
from isolatedtest.resources.adoption import extend, forget, install, origin

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


TRACKER = "_isolatedtest_attributes"  # the resource, in an adopted instance's dict


class TrackedAttributes:
    """Record a change of an attribute made from outside the instance."""

    def __setattr__(self, name, value):
        tracker = self.__dict__.get(TRACKER)
        if tracker is not None and sys._getframe(1).f_locals.get("self") is not self:
            tracker.note(self, name)
        super().__setattr__(name, value)

    def __delattr__(self, name):
        tracker = self.__dict__.get(TRACKER)
        if tracker is not None and sys._getframe(1).f_locals.get("self") is not self:
            tracker.note(self, name)
        super().__delattr__(name)


class AttributeResource(Resource):
    """The attributes of every cache instance of this process, per scope."""

    def __init__(self, config: Config, reset: bool) -> None:
        self.reset = reset
        self._excluded = config.exclude_aliases
        self._recording: Scope | None = None  # whose journal changes go to
        self._resume: Scope | None = None  # the scope a fixture interrupted
        install(self, self.adopt)

    def adopt(self, alias: str, instance) -> None:
        if alias not in self._excluded:
            extend(instance, TrackedAttributes)
            instance.__dict__[TRACKER] = self

    def note(self, instance, name: str) -> None:
        scope = self._recording
        if scope is None:
            return
        journal = scope.state[self.slot]
        if journal is None:
            journal = scope.state[self.slot] = Journal()
        journal.note(instance, name)

    def enter(self, scope: Scope) -> None:
        if scope.exempt:
            # Its class keeps what an exempt test changes, uncharged.
            self._recording = scope.parent
            self._journal(scope.parent).exempt = True
        else:
            self._recording = scope

    def leave(self, scope: Scope, report: bool) -> list[Leak]:
        self._recording = scope.parent
        if scope.exempt:
            self._journal(scope.parent).exempt = False
            return _NOTHING
        journal = scope.state[self.slot]
        if journal is None or not journal.changes:
            return _NOTHING
        return self._settle(journal, report)

    def begin_fixture(self, scope: Scope) -> None:
        self._resume, self._recording = self._recording, scope

    def end_fixture(self, scope: Scope) -> None:
        self._recording, self._resume = self._resume, None

    def end_run(self) -> None:
        self._recording = None
        forget(self)

    def _journal(self, scope: Scope) -> Journal:
        if scope.state[self.slot] is None:
            scope.state[self.slot] = Journal()
        return scope.state[self.slot]

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


_NOTHING: list = []  # what a scope's end returns when there is nothing (not mutated)
