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
import weakref

from isolatedtest.conf import Config
from isolatedtest.engine import ABSENT, Entries, Resource, Scope
from isolatedtest.resources.adoption import forget, install, origin


class Journal:
    """What the attributes of cache instances were before a scope changed them."""

    __slots__ = ("changes",)

    def __init__(self) -> None:
        # {id(instance): (instance, {name: value before, or ABSENT})}
        self.changes: dict[int, tuple[object, dict[str, object]]] = {}

    def note(self, instance, name: str) -> None:
        entry = self.changes.get(id(instance))
        if entry is None:
            entry = self.changes[id(instance)] = (instance, {})
        if name not in entry[1]:
            entry[1][name] = instance.__dict__.get(name, ABSENT)

    def adopt(self, other: Journal) -> None:
        """Keep what ``other`` (an inner scope's) noted, where this has nothing."""
        for key, (instance, before) in other.changes.items():
            mine = self.changes.setdefault(key, (instance, {}))[1]
            for name, value in before.items():
                mine.setdefault(name, value)


# {instance: the resource noting its changes}, for the adopted instances.
_trackers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# {class: its own (__setattr__, __delattr__), or None}: the classes made to
# note changes. Patched in place, not swapped per instance: an instance
# whose class was swapped looks its attributes up in a materialized
# ``__dict__``, which costs every cache call about 4%.
_patched: dict[type, tuple] = {}


def _track(cls: type) -> None:
    """Make ``cls`` note a change of an adopted instance's attribute from outside."""
    if cls in _patched:
        return
    own = (cls.__dict__.get("__setattr__"), cls.__dict__.get("__delattr__"))

    def __setattr__(self, name, value):
        _note(self, name)
        if own[0] is None:
            super(cls, self).__setattr__(name, value)
        else:
            own[0](self, name, value)

    def __delattr__(self, name):
        _note(self, name)
        if own[1] is None:
            super(cls, self).__delattr__(name)
        else:
            own[1](self, name)

    cls.__setattr__ = __setattr__  # a class that refuses raises: a failed reset
    _patched[cls] = own
    cls.__delattr__ = __delattr__


def _untrack() -> None:
    """Give every patched class its own methods back."""
    for cls, own in _patched.items():
        for name, method in zip(("__setattr__", "__delattr__"), own, strict=True):
            if method is None:
                delattr(cls, name)
            else:
                setattr(cls, name, method)
    _patched.clear()


def _note(instance, name: str) -> None:
    tracker = _trackers.get(instance)
    # Not what an instance does to itself (the caller of __setattr__'s).
    if tracker is not None and sys._getframe(2).f_locals.get("self") is not instance:
        tracker.note(instance, name)


class AttributeResource(Resource):
    """The attributes of every cache instance of this process, per scope.

    A change is noted in the journal of the scope that receives writes now
    (``Engine.receiver``): a scope that changes nothing costs nothing.
    """

    leaves_with_state = True

    def __init__(self, config: Config, reset: bool) -> None:
        self.reset = reset
        self._excluded = config.exclude_aliases
        self._running = True
        install(self, self.adopt)

    def adopt(self, alias: str, instance) -> None:
        if alias not in self._excluded:
            _track(type(instance))
            _trackers[instance] = self

    def note(self, instance, name: str) -> None:
        if not self._running:
            return
        scope = self.engine.receiver()
        journal = scope.state[self.slot]
        if journal is None:
            journal = scope.state[self.slot] = Journal()
        journal.note(instance, name)

    def leave(self, scope: Scope, restore: bool) -> list[AttributeChanges]:
        """Report what changed since the journal began; put it back if asked."""
        changes = []
        for instance, before in scope.state[self.slot].changes.values():
            now = instance.__dict__
            found = {
                name: (value, now.get(name, ABSENT))
                for name, value in before.items()
                if now.get(name, ABSENT) is not value
            }
            if not found:
                continue
            origin_ = (*origin(instance), "cache")
            changes.append(AttributeChanges.decided(origin_, id(instance), found))
            if restore:
                for name, value in before.items():
                    if value is ABSENT:
                        now.pop(name, None)
                    else:
                        now[name] = value
        return changes

    def hand_over(self, scope: Scope) -> None:
        journal = scope.state[self.slot]
        if journal is None:
            return
        parent = scope.parent
        if parent.state[self.slot] is None:
            parent.state[self.slot] = Journal()
        parent.state[self.slot].adopt(journal)

    def end_run(self) -> None:
        self._running = False
        forget(self)
        if not any(tracker._running for tracker in _trackers.values()):
            _untrack()


class AttributeChanges(Entries):
    """The attributes of one cache object a scope changed."""

    __slots__ = ()
    names_as = "attributes"
