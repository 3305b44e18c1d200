"""What each test reads from outside itself: the raw material of the dependency graph.

Only with ``--cache-dependencies``. Every adopted cache instance records,
during a test, the first access of each key the test had not written,
deleted or cleared before (a read, ``has_key``, ``get_many``, ``add``,
``incr``, ``touch``, ``get_or_set``...), and whether the key was there. A key
that was there, under isolation, is its class's or the run's state: not a
dependency. A key that was not there is one another test may leave behind:
the report joins these reads with every test's leaks, whatever the order or
worker (``report.dependencies``). Without isolation a key that was there may
be another test's leftover: the store remembers which test last left each
key, so the report can name what really happened in that run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from isolatedtest.conf import Config
from isolatedtest.stores.adoption import extend, install

_MISSING = object()


@dataclass(frozen=True)
class Access:
    """A test's first access of a key it had not written: what it depended on."""

    alias: str
    location: str
    key: str
    kind: str  # "get", "has_key", "add", "incr", ...
    found: bool  # the key was there
    left_by: str | None = None  # without isolation: the test or class that left it


@dataclass(frozen=True)
class Reads:
    """Every outside access of one test (an outcome of its scope, like a leak)."""

    accesses: tuple[Access, ...]


class Recorder:
    """The accesses of the test that runs now, in this process."""

    def __init__(self, reset: bool) -> None:
        self.reset = reset
        self.test: str | None = None  # id of the running test, or None
        self.touched: set[tuple[str, str]] = set()  # (location, key) it wrote
        self.cleared: set[str] = set()  # locations it cleared
        self.accesses: dict[tuple[str, str], Access] = {}
        # Without isolation: {(location, key): test or class that left it}.
        self.left_by: dict[tuple[str, str], str] = {}
        self.written: dict[tuple[str, str], bool] = {}  # this scope's, in order
        self.depth = threading.local()

    def read(self, instance, key, kind: str, found: bool) -> None:
        alias, location = _where(instance)
        place = (location, key)
        if place in self.touched or location in self.cleared:
            return
        if place in self.accesses:
            return
        left_by = self.left_by.get(place) if found and not self.reset else None
        self.accesses[place] = Access(alias, location, key, kind, found, left_by)

    def wrote(self, instance, key, kept: bool) -> None:
        place = (_where(instance)[1], key)
        if self.test is not None:
            self.touched.add(place)
        self.written[place] = kept

    def cleared_store(self, instance) -> None:
        location = _where(instance)[1]
        if self.test is not None:
            self.cleared.add(location)
        for place in [place for place in self.left_by if place[0] == location]:
            del self.left_by[place]
        self.written = {
            place: kept for place, kept in self.written.items() if place[0] != location
        }

    def end_scope(self, name: str) -> None:
        """Remember what the scope left (without isolation, it stays)."""
        if not self.reset:
            for place, kept in self.written.items():
                if kept:
                    self.left_by[place] = name
                else:
                    self.left_by.pop(place, None)
        self.written = {}


_recorder: Recorder | None = None
# {instance: (alias, LOCATION)}
_places: dict[int, tuple[str, str]] = {}


def _where(instance) -> tuple[str, str]:
    return _places.get(id(instance), ("", ""))


class AccessRecording:
    """Record outside accesses and the test's own writes; change nothing else."""

    def _isolatedtest_op(self, kind, call, *args, **kwargs):
        recorder = _recorder
        if recorder is None or getattr(recorder.depth, "n", 0):
            return call(*args, **kwargs)
        recorder.depth.n = 1
        try:
            return call(*args, **kwargs)
        finally:
            recorder.depth.n = 0

    def get(self, key, default=None, version=None, **kwargs):
        def get():
            value = super(AccessRecording, self).get(key, _MISSING, version, **kwargs)
            _record_read(self, key, "get", value is not _MISSING)
            return default if value is _MISSING else value

        return self._isolatedtest_op("get", get)

    def get_many(self, keys, version=None, **kwargs):
        def get_many():
            keys_ = list(keys)
            found = super(AccessRecording, self).get_many(keys_, version, **kwargs)
            for key in keys_:
                _record_read(self, key, "get_many", key in found)
            return found

        return self._isolatedtest_op("get_many", get_many)

    def has_key(self, key, version=None, **kwargs):
        def has_key():
            found = super(AccessRecording, self).has_key(key, version, **kwargs)
            _record_read(self, key, "has_key", bool(found))
            return found

        return self._isolatedtest_op("has_key", has_key)

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None, **kw):
        def get_or_set():
            value = super(AccessRecording, self).get(key, _MISSING, version)
            _record_read(self, key, "get_or_set", value is not _MISSING)
            if value is not _MISSING:
                return value
            found = super(AccessRecording, self).get_or_set(
                key, default, timeout, version, **kw
            )
            _record_write(self, key, kept=True)
            return found

        return self._isolatedtest_op("get_or_set", get_or_set)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        def add():
            added = super(AccessRecording, self).add(
                key, value, timeout, version, **kwargs
            )
            _record_read(self, key, "add", not added)
            if added:
                _record_write(self, key, kept=True)
            return added

        return self._isolatedtest_op("add", add)

    def incr(self, key, delta=1, version=None, **kwargs):
        return self._isolatedtest_count("incr", key, delta, version, **kwargs)

    def decr(self, key, delta=1, version=None, **kwargs):
        return self._isolatedtest_count("decr", key, delta, version, **kwargs)

    def _isolatedtest_count(self, name, key, delta, version, **kwargs):
        def count():
            try:
                value = getattr(super(AccessRecording, self), name)(
                    key, delta, version, **kwargs
                )
            except ValueError:
                _record_read(self, key, name, False)
                raise
            _record_read(self, key, name, value is not None and value is not False)
            _record_write(self, key, kept=True)
            return value

        return self._isolatedtest_op(name, count)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        def touch():
            touched = super(AccessRecording, self).touch(
                key, timeout, version, **kwargs
            )
            _record_read(self, key, "touch", bool(touched))
            return touched

        return self._isolatedtest_op("touch", touch)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        def set_():
            result = super(AccessRecording, self).set(
                key, value, timeout, version, **kwargs
            )
            _record_write(self, key, kept=True)
            return result

        return self._isolatedtest_op("set", set_)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        def set_many():
            failed = super(AccessRecording, self).set_many(
                data, timeout, version, **kwargs
            )
            for key in data:
                if key not in (failed or ()):
                    _record_write(self, key, kept=True)
            return failed

        return self._isolatedtest_op("set_many", set_many)

    def delete(self, key, version=None, **kwargs):
        def delete():
            deleted = super(AccessRecording, self).delete(key, version, **kwargs)
            _record_write(self, key, kept=False)
            return deleted

        return self._isolatedtest_op("delete", delete)

    def delete_many(self, keys, version=None, **kwargs):
        def delete_many():
            keys_ = list(keys)
            result = super(AccessRecording, self).delete_many(keys_, version, **kwargs)
            for key in keys_:
                _record_write(self, key, kept=False)
            return result

        return self._isolatedtest_op("delete_many", delete_many)

    def clear(self, *args, **kwargs):
        def clear():
            result = super(AccessRecording, self).clear(*args, **kwargs)
            if _recorder is not None:
                _recorder.cleared_store(self)
            return result

        return self._isolatedtest_op("clear", clear)


def _record_read(instance, key, kind: str, found: bool) -> None:
    recorder = _recorder
    if recorder is not None and recorder.test is not None:
        recorder.read(instance, key, kind, found)


def _record_write(instance, key, kept: bool) -> None:
    if _recorder is not None:
        _recorder.wrote(instance, key, kept)


class AccessStore:
    """Record each test's outside accesses; report them as its ``Reads``."""

    def __init__(self, config: Config, reset: bool) -> None:
        global _recorder
        self._excluded = config.exclude_aliases
        self._recorder = _recorder = Recorder(reset)
        install("access", self.adopt)

    def adopt(self, alias: str, instance) -> None:
        if alias in self._excluded:
            return
        params = caches.settings.get(alias, {})
        _places[id(instance)] = (alias, str(params.get("LOCATION", "")))
        extend(instance, AccessRecording)

    def begin_test(self, name: str) -> None:
        recorder = self._recorder
        recorder.test = name
        recorder.touched = set()
        recorder.cleared = set()
        recorder.accesses = {}

    def end_test(self) -> list[Reads]:
        recorder = self._recorder
        name, recorder.test = recorder.test, None
        if name is None:
            return []
        recorder.end_scope(name)
        accesses = tuple(recorder.accesses.values())
        recorder.accesses = {}
        return [Reads(accesses)] if accesses else []

    def end_class(self, name: str) -> None:
        self._recorder.end_scope(name)
