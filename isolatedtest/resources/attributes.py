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

    __slots__ = ("changes", "uncharged")

    def __init__(self) -> None:
        # {id(instance): (instance, {name: value before, or ABSENT})}
        self.changes: dict[int, tuple[object, dict[str, object]]] = {}
        self.uncharged: set[tuple[int, str]] = set()  # by exempt tests

    def note(self, instance, name: str, charged: bool) -> None:
        entry = self.changes.get(id(instance))
        if entry is None:
            entry = self.changes[id(instance)] = (instance, {})
        if name not in entry[1]:
            entry[1][name] = instance.__dict__.get(name, ABSENT)
            if not charged:
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
    """The attributes of every cache instance of this process, per scope.

    A change is noted in the journal of the engine's current scope (of its
    class, uncharged, for an exempt test; of a wider scope while its
    fixture sets up): a scope that changes nothing costs nothing.
    """

    leaves_with_state = True

    def __init__(self, config: Config, reset: bool) -> None:
        self.reset = reset
        self._excluded = config.exclude_aliases
        self._fixture: Scope | None = None  # whose fixture is setting up
        self._running = True
        install(self, self.adopt)

    def adopt(self, alias: str, instance) -> None:
        if alias not in self._excluded:
            extend(instance, TrackedAttributes)
            instance.__dict__[TRACKER] = self

    def note(self, instance, name: str) -> None:
        if not self._running:
            return
        scope = self._fixture or self.engine.current
        # Its class keeps what an exempt test changes, uncharged.
        charged = not scope.exempt
        if not charged:
            scope = scope.parent
        journal = scope.state[self.slot]
        if journal is None:
            journal = scope.state[self.slot] = Journal()
        journal.note(instance, name, charged)

    def leave(self, scope: Scope, report: bool) -> list[Leak]:
        return self._settle(scope.state[self.slot], report)

    def begin_fixture(self, scope: Scope) -> None:
        self._fixture = scope

    def end_fixture(self, scope: Scope) -> None:
        self._fixture = None

    def end_run(self) -> None:
        self._running = False
        forget(self)

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
