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
from django.core.cache.backends import locmem
from django.core.signals import setting_changed

from isolatedtest.conf import Config
from isolatedtest.stores import Leak, PendingLeak, backend_class

_EMPTY: dict = {}
_MISSING = object()

# {LOCATION: (data copy, expiry copy)} for each non-empty store.
Snapshot = dict[str, tuple[dict, dict]]


class LocMemStore:
    """Every LocMemCache store of this process."""

    def __init__(self, config: Config, reset: bool) -> None:
        self.reset = reset
        self._persistent = config.persistent_matcher()
        _remember_aliases()
        self._excluded = frozenset(
            params.get("LOCATION", "")
            for alias, params in settings.CACHES.items()
            if alias in config.exclude_aliases and _is_locmem(params)
        )
        self._outer: Snapshot = {}  # before the class's setup
        self._class: Snapshot = {}  # after it: what each test starts from
        self._test: Snapshot = {}
        self._after: Snapshot = {}  # after the class's last test
        self._setup: Snapshot = {}  # right after the class's setup
        # Enclosing scopes' (outer, setup, class, after), innermost last, when
        # scopes nest deeper than run and class (pytest's).
        self._levels: list[list[Snapshot]] = []
        self._before: Snapshot = {}  # before an outer scope's fixture

    def snapshot(self) -> Snapshot:
        expiry = locmem._expire_info
        return {
            name: (dict(data), dict(expiry[name]))
            for name, data in tuple(locmem._caches.items())
            if data and name not in self._excluded
        }

    def start_worker(self) -> None:
        # A forked worker must not start with what its parent had cached.
        self._settle({}, restore=True, report=False)

    def start_run(self) -> None:
        self._outer = self.snapshot()

    def start_class(self) -> None:
        self._setup = self._class = self._after = self.snapshot()

    def start_test(self) -> None:
        # When isolating, every test starts from the class state, which the
        # previous test's end restored: nothing to copy on the hot path.
        if not self.reset:
            self._test = self.snapshot()

    def end_test(self) -> list[PendingLeak]:
        if self.reset:
            return self._settle(self._class, restore=True, report=True)
        leaks = self._settle(self._test, restore=False, report=True)
        self._after = self.snapshot()
        return leaks

    def start_exempt_test(self) -> None:
        pass

    def end_exempt_test(self) -> None:
        # The class keeps what an exempt test wrote, without being charged.
        self._after = self.snapshot()
        if self.reset:
            self._class = self._after

    def end_class(self, report: bool) -> list[Leak]:
        """Charge the class with what its setup and teardown left."""
        teardown = self._settle(self._after, restore=False, report=report)
        leaks = self._settle(self._outer, restore=self.reset, report=report)
        charged = set()
        if leaks:
            charged = _keys(_between(self._outer, self._setup)) | _keys(teardown)
        if not self.reset:
            self._outer = self.snapshot()
        return _only(leaks, charged)

    def abort_class(self) -> None:
        if self.reset:
            self._settle(self._outer, restore=True, report=False)

    def end_run(self) -> list[Leak]:
        return []

    def open_scope(self) -> None:
        self._levels.append([self._outer, self._setup, self._class, self._after])
        self._outer = self._setup = self._class = self._after = self.snapshot()

    def close_scope(self, report: bool) -> list[Leak]:
        leaks = self.end_class(report)
        after = self._outer  # what the scope's end left: restored, or as found
        self._outer, self._setup, self._class, _ = self._levels.pop()
        self._after = after
        if self.reset:
            self._class = after
        return leaks

    def begin_fixture(self, depth: int) -> None:
        self._before = self.snapshot()

    def end_fixture(self, depth: int) -> None:
        """Make what the fixture wrote its scope's, seen by the scopes inside it."""
        change = _change(self._before, self.snapshot())
        self._before = {}
        if not change:
            return
        # Each enclosing level is a list in _levels, patched in place.
        current = [self._outer, self._setup, self._class, self._after]
        levels = [*self._levels[1:], current]
        patched: dict[int, tuple[Snapshot, Snapshot]] = {}
        for index in range(depth, len(levels)):
            level = levels[index]
            # A scope's own snapshot from before it opened stays as it was: the
            # fixture's writes are undone, and charged, when its scope closes.
            for slot in range(0 if index > depth else 1, 4):
                level[slot] = _patched(level[slot], change, patched)
        self._outer, self._setup, self._class, self._after = current
        if not self.reset:
            self._test = _patched(self._test, change, patched)

    def _settle(
        self, snapshot: Snapshot, restore: bool, report: bool
    ) -> list[PendingLeak]:
        """Compare every store with ``snapshot``; report and/or restore changes."""
        leaks = []
        for name, data in tuple(locmem._caches.items()):
            saved = snapshot.get(name)
            if saved is None:
                if not data or name in self._excluded:
                    continue
                saved_data, saved_expiry = _EMPTY, _EMPTY
            else:
                saved_data, saved_expiry = saved
                if data == saved_data and locmem._expire_info[name] == saved_expiry:
                    continue
            expiry = locmem._expire_info[name]
            with locmem._locks[name]:
                if report:
                    written = _written(name, data, expiry, saved_data)
                    if written:
                        leaks.append(Written(name, written, self._persistent))
                if restore:
                    self._restore(name, data, expiry, saved_data, saved_expiry)
        return leaks

    def _restore(
        self, name: str, data: dict, expiry: dict, saved: dict, saved_expiry: dict
    ) -> None:
        """Make ``data`` equal ``saved`` again, except for persistent keys."""
        if not saved and self._persistent is None:
            data.clear()
            expiry.clear()
            return
        kept = {}
        if self._persistent:
            head = f"{_alias_of(name)[2]}:"
            kept = {
                key: (value, expiry.get(key))
                for key, value in data.items()
                if self._persistent.match(_user_key(key, head))
            }
            saved = {
                key: value
                for key, value in saved.items()
                if not self._persistent.match(_user_key(key, head))
            }
        data.clear()
        data.update(saved)
        expiry.clear()
        expiry.update(saved_expiry)
        for key, (value, expires) in kept.items():
            data[key] = value
            expiry[key] = expires
        for key in tuple(expiry):
            if key not in data:
                del expiry[key]


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
        self.origin = _alias_of(location)  # (alias, BACKEND, KEY_PREFIX)

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
        now = self.now
        keys = sum(
            1 for expires in self.entries.values() if expires is None or expires > now
        )
        return (self.origin[0] or self.location, keys) if keys else None


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
    return cls is not None and issubclass(cls, locmem.LocMemCache)


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


def _alias_of(name: str) -> tuple[str, str, str]:
    """Return (alias, BACKEND, KEY_PREFIX) for the store at LOCATION ``name``."""
    return _aliases.get(name, ("", "django.core.cache.backends.locmem.LocMemCache", ""))


def _user_key(raw: str, head: str) -> str:
    """Return the key as code passed it, without 'KEY_PREFIX:' (head) and version."""
    if raw.startswith(head):
        version, found, key = raw[len(head) :].partition(":")
        if found and version.isdigit():
            return key
    return raw
