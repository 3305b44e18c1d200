"""LocMemCache: snapshot and restore the module-level dicts all instances share.

Every LocMemCache instance keeps its data in dicts that live in
``django.core.cache.backends.locmem``, keyed by LOCATION, and holds
references to them. Copying those dicts covers every instance at once:
ones captured at import time, ones created by ``override_settings`` and
ones used from other threads. Restoring happens in place, under each
store's own lock, so the references instances hold stay valid. Values are
pickled bytes, so a shallow copy is an exact copy.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed

from isolatedtest.backends import backend_class
from isolatedtest.conf import Config
from isolatedtest.engine import TEST, Resource, Scope
from isolatedtest.internals import locmem_stores
from isolatedtest.outcomes import Leak, PendingLeak

_EMPTY: dict = {}
_MISSING = object()
_NOTHING: list = []  # what a scope's end returns when there is nothing (not mutated)

# {LOCATION: (data copy, expiry copy)} for each non-empty store.
Snapshot = dict[str, tuple[dict, dict]]


class Level:
    """A scope that tests (or narrower scopes) run in, as snapshots of every store.

    ``outer``: before it opened. ``setup``: when its first inner scope opened
    (after a class's setUpClass, a module's fixtures). ``baseline``: what
    each inner scope starts from (setup, plus what exempt tests kept).
    ``after``: when its last inner scope ended.
    """

    __slots__ = ("after", "baseline", "outer", "setup")

    def __init__(self, outer: Snapshot) -> None:
        self.outer = outer
        self.setup: Snapshot | None = None
        self.baseline: Snapshot | None = None
        self.after: Snapshot | None = None

    def slots(self) -> list[str]:
        return ["outer", "setup", "baseline", "after"]


class LocMemResource(Resource):
    """Every LocMemCache store of this process, snapshotted per scope."""

    def __init__(self, config: Config, reset: bool, named: bool = True) -> None:
        self.reset = reset
        # Leaks' key names are worked out later (Written) only if reported;
        # otherwise each scope's leak is counted at once.
        self._named = named or config.persistent_keys != ()
        self._persistent = config.persistent_matcher()
        _remember_aliases()
        self._excluded = frozenset(
            params.get("LOCATION", "")
            for alias, params in settings.CACHES.items()
            if alias in config.exclude_aliases and _is_locmem(params)
        )
        self._before: Snapshot = {}  # before a wider scope's fixture
        # The module-level dicts every instance shares (never rebound).
        self._stores, self._expiries, self._locks = locmem_stores()

    def snapshot(self) -> Snapshot:
        expiry = self._expiries
        return {
            name: (dict(data), dict(expiry[name]))
            for name, data in tuple(self._stores.items())
            if data and name not in self._excluded
        }

    def start_worker(self) -> None:
        # A forked worker must not start with what its parent had cached.
        self._settle({}, restore=True, report=False)

    def enter(self, scope: Scope) -> None:
        parent = scope.parent
        slot = self.slot
        level = parent.state[slot] if parent is not None else None
        now = None
        if level is not None and level.setup is None:
            # The first scope inside: its parent's setup is done.
            now = level.setup = level.baseline = level.after = self.snapshot()
        if scope.kind == TEST:
            # When isolating, every test starts from the baseline, which the
            # previous test's end restored: nothing to copy on the hot path.
            if not self.reset and not scope.exempt:
                scope.state[slot] = self.snapshot()
            return
        scope.state[slot] = Level(self.snapshot() if now is None else now)

    def leave(self, scope: Scope, report: bool) -> list:
        slot = self.slot
        if scope.kind == TEST:
            level = scope.parent.state[slot]
            if scope.exempt:
                # Its class keeps what it wrote, without being charged.
                level.after = self.snapshot()
                if self.reset:
                    level.baseline = level.after
                return _NOTHING
            if self.reset:
                return self._settle(level.baseline, restore=True, report=report)
            leaks = self._settle(scope.state[slot], restore=False, report=report)
            level.after = self.snapshot()
            return leaks
        return self._leave_level(scope, report)

    def _leave_level(self, scope: Scope, report: bool) -> list[Leak]:
        """Charge a scope with what its setup and its teardown left."""
        level = scope.state[self.slot]
        setup = level.outer if level.setup is None else level.setup
        after = setup if level.after is None else level.after
        teardown = self._settle(after, restore=False, report=report, named=True)
        leaks = self._settle(level.outer, restore=self.reset, report=report, named=True)
        charged = set()
        if leaks:
            charged = _keys(_between(level.outer, setup)) | _keys(teardown)
        parent = scope.parent.state[self.slot] if scope.parent else None
        if parent is not None and parent.setup is not None:
            parent.after = level.outer if self.reset else self.snapshot()
            if self.reset:
                parent.baseline = parent.after
        return _only(leaks, charged)

    def begin_fixture(self, scope: Scope) -> None:
        self._before = self.snapshot()

    def end_fixture(self, scope: Scope) -> None:
        """Make what the fixture wrote ``scope``'s, seen by the scopes inside it."""
        change = _change(self._before, self.snapshot())
        self._before = {}
        if not change:
            return
        patched: dict[int, tuple[Snapshot, Snapshot]] = {}
        inner = self.engine.current
        while inner is not None:
            state = inner.state[self.slot]
            if isinstance(state, Level):
                # The scope's own snapshot from before it opened stays as it
                # was: the fixture's writes are undone, and charged, when it
                # closes.
                names = state.slots()[1:] if inner is scope else state.slots()
                for name in names:
                    saved = getattr(state, name)
                    if saved is not None:
                        setattr(state, name, _patched(saved, change, patched))
            elif state is not None:  # a test's own snapshot (not isolating)
                inner.state[self.slot] = _patched(state, change, patched)
            if inner is scope:
                return
            inner = inner.parent

    def _settle(
        self, snapshot: Snapshot, restore: bool, report: bool, named: bool = False
    ) -> list[PendingLeak]:
        """Compare every store with ``snapshot``; report and/or restore changes.

        The leaks are Written (named) if asked, or if the run reports names.
        """
        named = named or self._named
        leaks = []
        expiries = self._expiries
        for name, data in tuple(self._stores.items()):
            saved = snapshot.get(name)
            if saved is None:
                if not data or name in self._excluded:
                    continue
                saved_data, saved_expiry = _EMPTY, _EMPTY
            else:
                saved_data, saved_expiry = saved
                if data == saved_data and expiries[name] == saved_expiry:
                    continue
            expiry = expiries[name]
            with self._locks[name]:
                if report and named:
                    written = _written(name, data, expiry, saved_data)
                    if written:
                        leaks.append(Written(name, written, self._persistent))
                elif report:
                    counted = _counted(data, expiry, saved_data)
                    if counted:
                        alias = _aliases.get(name, _UNNAMED)[0] or name
                        leaks.append(Counted(alias, counted))
                if not restore:
                    continue
                if self._persistent is not None:
                    self._restore(name, data, expiry, saved_data, saved_expiry)
                    continue
                data.clear()
                expiry.clear()
                if saved_data:
                    data.update(saved_data)
                    expiry.update(saved_expiry)
        return leaks

    def _restore(
        self, name: str, data: dict, expiry: dict, saved: dict, saved_expiry: dict
    ) -> None:
        """Make ``data`` equal ``saved`` again, but for persistent keys: kept."""
        head = f"{_alias_of(name)[2]}:"
        persistent = self._persistent.match
        kept = {
            key: (value, expiry.get(key))
            for key, value in data.items()
            if persistent(_user_key(key, head))
        }
        data.clear()
        data.update(
            (key, value)
            for key, value in saved.items()
            if not persistent(_user_key(key, head))
        )
        expiry.clear()
        expiry.update((key, saved_expiry[key]) for key in data if key in saved_expiry)
        for key, (value, expires) in kept.items():
            data[key] = value
            expiry[key] = expires


class Written(PendingLeak):
    """Keys a scope wrote in one store, with their expiry times.

    Capturing this costs a dict copy and naming the store's alias (known in
    this process: a worker's override_settings); turning raw keys into the
    keys code passed, dropping expired and persistent ones, waits for the
    report, wherever it is written.
    """

    __slots__ = ("entries", "location", "now", "origin", "persistent")

    def __init__(self, location: str, entries: dict, persistent, now=None) -> None:
        self.location = location
        self.entries = entries  # {raw key: expiry time or None}
        self.now = time.time() if now is None else now
        self.persistent = persistent
        self.origin = _aliases.get(location, _UNNAMED)  # (alias, BACKEND, KEY_PREFIX)

    def resolve(self) -> Leak | None:
        alias, backend, prefix = self.origin
        head = f"{prefix}:"
        keys = []
        for raw, expires in self.entries.items():
            if expires is not None and expires <= self.now:
                continue
            key = _user_key(raw, head)
            if self.persistent is None or not self.persistent.match(key):
                keys.append(key)
        return Leak(alias, backend, self.location, tuple(keys)) if keys else None

    def count(self) -> tuple[str, int] | None:
        if self.persistent is not None:
            return super().count()  # which keys persist needs their names
        now, keys = self.now, 0
        for expires in self.entries.values():
            if expires is None or expires > now:
                keys += 1
        return (self.origin[0] or self.location, keys) if keys else None


class Counted(PendingLeak):
    """How many keys a scope left in one store, when their names are not reported."""

    __slots__ = ("counted",)

    def __init__(self, alias: str, keys: int) -> None:
        self.counted = (alias, keys)

    def resolve(self) -> None:
        raise RuntimeError("a counted leak has no names: build the resource named")


def _counted(data: dict, expiry: dict, saved: dict) -> int:
    """Return how many unexpired keys ``data`` holds that ``saved`` does not."""
    now, keys = time.time(), 0
    if not saved:  # the common case: LocMemCache keeps every key in both dicts
        for expires in expiry.values():
            if expires is None or expires > now:
                keys += 1
        return keys
    for key, value in data.items():
        if saved.get(key, _MISSING) != value:
            expires = expiry.get(key)
            if expires is None or expires > now:
                keys += 1
    return keys


def _written(name: str, data: dict, expiry: dict, saved: dict) -> dict:
    """Return {raw key: expiry} of what ``data`` holds that ``saved`` does not."""
    if not saved:
        return dict(expiry)  # LocMemCache keeps the same keys in both dicts
    return {
        key: expiry.get(key)
        for key, value in data.items()
        if saved.get(key, _MISSING) != value
    }


def _change(before: Snapshot, after: Snapshot) -> dict[str, tuple[dict, dict]]:
    """Return {LOCATION: (changed data, changed expiry)}; _MISSING for removed."""
    change = {}
    for name in before.keys() | after.keys():
        old, old_expiry = before.get(name, (_EMPTY, _EMPTY))
        new, new_expiry = after.get(name, (_EMPTY, _EMPTY))
        if old == new and old_expiry == new_expiry:
            continue
        change[name] = (_diff(old, new), _diff(old_expiry, new_expiry))
    return change


def _diff(old: dict, new: dict) -> dict:
    found = {key: new[key] for key in new if old.get(key, _MISSING) != new[key]}
    found.update((key, _MISSING) for key in old.keys() - new.keys())
    return found


def _patched(snapshot: Snapshot, change: dict, done: dict) -> Snapshot:
    """Return ``snapshot`` with ``change`` applied (a copy; once per snapshot).

    ``done`` maps id(snapshot) to (snapshot, result): it holds the original,
    so that its id is not reused while it is in use.
    """
    if id(snapshot) in done:
        return done[id(snapshot)][1]
    result = dict(snapshot)
    for name, (data_change, expiry_change) in change.items():
        data, expiry = result.get(name, (_EMPTY, _EMPTY))
        data, expiry = _applied(data, data_change), _applied(expiry, expiry_change)
        if data:
            result[name] = (data, expiry)
        else:
            result.pop(name, None)
    done[id(snapshot)] = (snapshot, result)
    return result


def _applied(saved: dict, change: dict) -> dict:
    result = dict(saved)
    for key, value in change.items():
        if value is _MISSING:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _between(before: Snapshot, after: Snapshot) -> list[Written]:
    """Return what was written between two snapshots, per store."""
    found = []
    for name, (data, expiry) in after.items():
        written = _written(name, data, expiry, before.get(name, (_EMPTY,))[0])
        if written:
            found.append(Written(name, written, None))
    return found


def _keys(leaks: list[PendingLeak]) -> set[tuple[str, str]]:
    """Return the (location, raw key) pairs of ``leaks``."""
    return {(leak.location, key) for leak in leaks for key in leak.entries}


def _only(leaks: list[Written], keys: set[tuple[str, str]]) -> list[Leak]:
    """Return ``leaks`` restricted to ``keys``, resolved."""
    kept = []
    for leak in leaks:
        mine = {
            key: exp
            for key, exp in leak.entries.items()
            if (leak.location, key) in keys
        }
        resolved = (
            Written(leak.location, mine, leak.persistent, leak.now).resolve()
            if mine
            else None
        )
        if resolved is not None:
            kept.append(resolved)
    return kept


def _is_locmem(params: dict) -> bool:
    cls = backend_class(params)
    return cls is not None and issubclass(cls, LocMemCache)


# {LOCATION: (alias, BACKEND, KEY_PREFIX)} of every LocMemCache alias seen in
# CACHES during the run, including ones override_settings set for a while:
# a leak is reported after the override that created its store has ended.
_aliases: dict[str, tuple[str, str, str]] = {}


def _remember_aliases(**kwargs) -> None:
    for alias, params in settings.CACHES.items():
        if _is_locmem(params):
            _aliases.setdefault(
                params.get("LOCATION", ""),
                (alias, params["BACKEND"], params.get("KEY_PREFIX", "")),
            )


def _remember_changed_aliases(*, setting: str, **kwargs) -> None:
    if setting == "CACHES":
        _remember_aliases()


setting_changed.connect(_remember_changed_aliases)


_UNNAMED = ("", "django.core.cache.backends.locmem.LocMemCache", "")


def _alias_of(name: str) -> tuple[str, str, str]:
    """Return (alias, BACKEND, KEY_PREFIX) for the store at LOCATION ``name``."""
    return _aliases.get(name, _UNNAMED)


def _user_key(raw: str, head: str) -> str:
    """Return the key as code passed it, without 'KEY_PREFIX:' (head) and version."""
    if raw.startswith(head):
        version, found, key = raw[len(head) :].partition(":")
        if found and version.isdigit():
            return key
    return raw
