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
from isolatedtest.engine import (
    ABSENT,
    ADDED,
    CHANGED,
    DELETED,
    PRESENT,
    TEST,
    Changes,
    Resource,
    Scope,
)
from isolatedtest.internals import locmem_stores
from isolatedtest.outcomes import Count, Leak

_EMPTY: dict = {}
_MISSING = object()
_NO_KEYS: frozenset = frozenset()

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

    def __init__(self, config: Config, reset: bool) -> None:
        self.reset = reset
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
        self._settle({}, restore=True)

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
            if not self.reset:
                scope.state[slot] = self.snapshot() if now is None else now
            return
        scope.state[slot] = Level(self.snapshot() if now is None else now)

    def leave(self, scope: Scope, restore: bool) -> list[StoreChanges]:
        slot = self.slot
        if scope.kind != TEST:
            return self._leave_level(scope, restore)
        level = scope.parent.state[slot]
        start = level.baseline if self.reset else scope.state[slot]
        changes = self._settle(start, restore)
        if not restore:
            level.after = self.snapshot()
            if scope.exempt and self.reset:  # the class keeps it for later tests
                level.baseline = level.after
        return changes

    def _leave_level(self, scope: Scope, restore: bool) -> list[StoreChanges]:
        """Charge a scope with what its setup and its teardown changed.

        (Without isolation, its inner scopes' changes are still there: theirs.)
        """
        level = scope.state[self.slot]
        setup = level.outer if level.setup is None else level.setup
        after = setup if level.after is None else level.after
        teardown = self._settle(after, restore=False)
        changes = self._settle(level.outer, restore)
        if changes:
            mine = _changed_keys(level.outer, setup)
            for found in teardown:
                mine.setdefault(found.place, set()).update(found.raw_keys())
            for found in changes:
                found.only = frozenset(mine.get(found.place, ()))
        parent = scope.parent.state[self.slot] if scope.parent else None
        if parent is not None and parent.setup is not None:
            parent.after = level.outer if restore else self.snapshot()
            if restore:
                parent.baseline = parent.after
        return changes

    def begin_fixture(self, scope: Scope) -> None:
        self._before = self.snapshot()

    def end_fixture(self, scope: Scope, inner: list[Scope]) -> None:
        """Make what the fixture wrote ``scope``'s, seen by the scopes inside it."""
        change = _change(self._before, self.snapshot())
        self._before = {}
        if not change:
            return
        patched: dict[int, tuple[Snapshot, Snapshot]] = {}
        for open_scope in (*inner, scope):
            state = open_scope.state[self.slot]
            if isinstance(state, Level):
                # The scope's own snapshot from before it opened stays as it
                # was: the fixture's writes are undone, and charged, when it
                # closes.
                names = state.slots()[1:] if open_scope is scope else state.slots()
                for name in names:
                    saved = getattr(state, name)
                    if saved is not None:
                        setattr(state, name, _patched(saved, change, patched))
            elif state is not None:  # a test's own snapshot (not isolating)
                open_scope.state[self.slot] = _patched(state, change, patched)

    def _settle(self, snapshot: Snapshot, restore: bool) -> list[StoreChanges]:
        """Compare every store with ``snapshot``: what changed; restore it if asked."""
        found = []
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
                # Against an empty store every key is new: no value is needed.
                now = (dict(data) if saved_data else None, dict(expiry))
                found.append(
                    StoreChanges(
                        name, now, (saved_data, saved_expiry), self._persistent
                    )
                )
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
        return found

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


class StoreChanges(Changes):
    """What a scope changed in one store: its data and expiry times, then and now.

    Capturing this costs two dict copies and naming the store's alias (known
    in this process: a worker's override_settings); comparing values and
    turning raw keys into the keys code passed wait for the report,
    wherever it is written. An entry that had expired is absent.
    """

    __slots__ = ("before", "head", "only", "persistent", "this", "time")

    def __init__(self, location: str, now: tuple, before: tuple, persistent) -> None:
        # Set here, not through Changes.__init__: this is made for every test.
        self.place = location
        self.skip = _NO_KEYS
        self.only: frozenset | None = None  # the raw keys it may be charged with
        alias, backend, prefix = _aliases.get(location, _UNNAMED)
        self.head = prefix + ":"
        self.origin = (alias, backend, location, "cache")
        self.this = now  # (data, expiry) now
        self.before = before  # (data, expiry) when the scope opened
        self.persistent = persistent
        self.time = time.time()

    def raw_keys(self) -> set[str]:
        """Every key whose value or expiry differs (a leak or not)."""
        (data, expiry), (saved, saved_expiry) = self.this, self.before
        if data is None:  # nothing before: every key is new
            return set(expiry)
        keys = {k for k, v in data.items() if saved.get(k, _MISSING) != v}
        keys.update(k for k in saved if k not in data)
        keys.update(k for k, e in expiry.items() if saved_expiry.get(k, e) != e)
        return keys

    def count(self) -> Count | None:
        """Count without naming (the summary's hot path), in C where it can."""
        if self.persistent is not None:  # which keys persist needs their names
            return super().count()
        kinds = None
        if self.only is None and not self.skip:
            kinds = self._kinds()
        if kinds is None:
            kinds = {}
            for _, verdict in self.verdicts():
                kinds[verdict] = kinds.get(verdict, 0) + 1
        found = sum(kinds.values())
        return (self.origin[0] or self.place, found, 0, kinds) if found else None

    def _kinds(self) -> dict[str, int] | None:
        """{change: keys} by set operations, when no entry had or has expired."""
        (data, expiry), (saved, saved_expiry) = self.this, self.before
        if not (_all_live(expiry, self.time) and _all_live(saved_expiry, self.time)):
            return None
        if data is None:  # against an empty store every key is new
            return {ADDED: len(expiry)} if expiry else {}
        kinds = {}
        for kind, n in (
            (ADDED, len(data.keys() - saved.keys())),
            (CHANGED, sum(data[key] != saved[key] for key in data.keys() & saved)),
            (DELETED, len(saved.keys() - data.keys())),
        ):
            if n:
                kinds[kind] = n
        return kinds

    def resolve(self) -> Leak | None:
        head, persistent, now = self.head, self.persistent, self.time
        keys, changes = [], []  # named in the order written
        if self.this[0] is None and self.only is None and not self.skip:
            for raw, expires in self.this[1].items():  # the hot path: all added
                if expires is None or expires > now:
                    key = _user_key(raw, head)
                    if persistent is None or not persistent.match(key):
                        keys.append(key)
            changes = [ADDED] * len(keys)
        else:
            for raw, verdict in self.verdicts():
                key = _user_key(raw, head)
                if persistent is None or not persistent.match(key):
                    keys.append(key)
                    changes.append(verdict)
        if not keys:
            return None
        alias, backend, location, _ = self.origin
        return Leak(alias, backend, location, tuple(keys), changes=tuple(changes))

    def verdicts(self) -> list[tuple[str, str]]:
        # The rule (``change``), key by key, on the values as they were and
        # are at ``time``; a test's new keys (the hot path) are all added.
        (data, expiry), (saved, saved_expiry) = self.this, self.before
        now, skip = self.time, self.skip
        if data is None and self.only is None:
            return [
                (key, ADDED)
                for key, expires in expiry.items()
                if (expires is None or expires > now) and key not in skip
            ]
        keys = self.only
        if keys is None:  # what differs, found as cheaply as it can be
            keys = [
                key
                for key, value in data.items()
                if saved.get(key, _MISSING) != value
                or expiry.get(key) != saved_expiry.get(key)
            ]
            keys += [key for key in saved if key not in data]
        found = []
        for key in keys:
            old, expires = saved.get(key, ABSENT), saved_expiry.get(key)
            if expires is not None and expires <= now:
                old = ABSENT
            if data is None:
                new = PRESENT if key in expiry else ABSENT
            else:
                new = data.get(key, ABSENT)
            expires = expiry.get(key)
            if expires is not None and expires <= now:
                new = ABSENT
            # The rule (``change``), inline (this is per key): ``new`` is
            # PRESENT only against an empty store, where ``old`` is ABSENT.
            if old is ABSENT:
                verdict = None if new is ABSENT else ADDED
            elif new is ABSENT:
                verdict = DELETED
            else:
                verdict = None if old == new else CHANGED
            if verdict is not None and key not in skip:
                found.append((key, verdict))
        return found


def _all_live(expiry: dict, now: float) -> bool:
    """Whether no entry has expired by ``now`` (the minimum, in C; None never does)."""
    try:
        return not expiry or min(expiry.values()) > now
    except TypeError:  # None among the times: look at each
        return all(expires is None or expires > now for expires in expiry.values())


def _changed_keys(before: Snapshot, after: Snapshot) -> dict[str, set[str]]:
    """Return {LOCATION: raw keys whose values differ} between two snapshots."""
    found: dict[str, set[str]] = {}
    for name in before.keys() | after.keys():
        old = before.get(name, (_EMPTY, _EMPTY))[0]
        new = after.get(name, (_EMPTY, _EMPTY))[0]
        if old != new:
            keys = {k for k, v in new.items() if old.get(k, _MISSING) != v}
            found[name] = keys | (old.keys() - new.keys())
    return found


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
