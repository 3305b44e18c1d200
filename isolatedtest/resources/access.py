"""What each test reads from outside itself: the raw material of the dependency graph.

Only with ``--cache-dependencies``. Every adopted cache instance records,
during a test, the first access of each key the test had not written,
deleted or cleared before (``get``, ``get_many``, ``has_key``, ``add``,
``incr``, ``touch``, ``get_or_set``...), and whether the key was there.
Under isolation a key that was there is its class's or the run's state, not
a dependency; a key that was not there is one another test may leave
behind: the report joins these reads with every test's leaks, whatever the
order or worker (``dependencies.py``). Without isolation a key that was
there may be a leftover: the recorder remembers which test or class last
left each key, so the report names what really happened in that run.
"""

from __future__ import annotations

import pickle
import secrets
import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT

from isolatedtest.conf import Config
from isolatedtest.engine import TEST, Resource, Scope
from isolatedtest.outcomes import Access, Place, Reads
from isolatedtest.resources.adoption import extend, forget, install, origin

_MISSING = object()
RECORDER = "_isolatedtest_recorder"  # the Recorder, in an adopted instance's dict
ORIGIN = "_isolatedtest_origin"  # its (alias, BACKEND, LOCATION), likewise


class Operation:
    """``with``: whether this is the thread's outermost cache operation.

    Only that one is recorded (``get_or_set`` calls ``get`` and ``add``).
    """

    __slots__ = ("local",)

    def __init__(self) -> None:
        self.local = threading.local()

    def __enter__(self) -> bool:
        depth = getattr(self.local, "n", 0)
        self.local.n = depth + 1
        return depth == 0

    def __exit__(self, *error) -> None:
        self.local.n -= 1


class Recorder:
    """The accesses and writes of this process's scopes."""

    def __init__(self, isolating: bool) -> None:
        self.isolating = isolating
        self.testing = False
        self.own: set[Place] = set()  # what the test wrote or deleted
        self.cleared: set[str] = set()  # locations the test cleared
        self.accesses: dict[Place, Access] = {}
        self.first: dict[Place, bytes] = {}  # the test's first value of each key
        # {place: last value, or None once deleted}: the test's, and what was
        # written outside tests (its class's).
        self.written: dict[Place, bytes | None] = {}
        self.between: dict[Place, bytes | None] = {}
        self.left_by: dict[Place, str] = {}  # without isolation
        self.operation = Operation()

    def read(self, instance, key, kind: str, found: bool, value=_MISSING) -> None:
        if not self.testing:
            return
        alias, _, location = instance.__dict__[ORIGIN]
        place = (location, key)
        if place in self.own or place in self.accesses or location in self.cleared:
            return
        left_by = None if self.isolating or not found else self.left_by.get(place)
        pickled = None if value is _MISSING else _pickled(value)
        self.accesses[place] = Access(
            alias, location, key, kind, found, pickled, left_by
        )

    def wrote(self, instance, key, value=_MISSING) -> None:
        """Record a write of ``value`` (_MISSING: a deletion)."""
        place = (instance.__dict__[ORIGIN][2], key)  # per write: no call
        pickled = None if value is _MISSING else _pickled(value)
        if self.testing:
            self.own.add(place)
            if pickled is not None:
                self.first.setdefault(place, pickled)
        self.written[place] = pickled

    def clear(self, instance) -> None:
        location = origin(instance)[2]
        if self.testing:
            self.cleared.add(location)
        self.written = {p: v for p, v in self.written.items() if p[0] != location}
        self.between = {p: v for p, v in self.between.items() if p[0] != location}
        if not self.isolating:
            self.left_by = {p: n for p, n in self.left_by.items() if p[0] != location}

    def start_test(self) -> None:
        self.between.update(self.written)  # written outside tests: the class's
        self.written, self.own, self.cleared = {}, set(), set()
        self.accesses, self.first = {}, {}
        self.testing = True

    def end_test(self, name: str) -> Reads | None:
        self.testing = False
        left = self._left(self.written, name)
        reads = Reads(tuple(self.accesses.values()), self.first, left)
        self.written, self.accesses, self.first = {}, {}, {}
        return reads if reads.accesses or reads.left else None

    def end_class(self, name: str) -> Reads | None:
        self.between.update(self.written)
        left = self._left(self.between, name)
        self.written, self.between = {}, {}
        return Reads((), {}, left) if left else None

    def _left(self, written: dict[Place, bytes | None], name: str) -> dict:
        """Return what the scope left; without isolation, remember who left it."""
        left = {place: value for place, value in written.items() if value is not None}
        if not self.isolating:
            for place in written:
                if place in left:
                    self.left_by[place] = name
                else:
                    self.left_by.pop(place, None)
        return left


class AccessRecording:
    """Record outside accesses and the scope's own writes; change nothing else."""

    def get(self, key, default=None, version=None, **kwargs):
        with self.__dict__[RECORDER].operation as outermost:
            value = super().get(key, _MISSING, version, **kwargs)
        if outermost:
            self.__dict__[RECORDER].read(self, key, "get", value is not _MISSING, value)
        return default if value is _MISSING else value

    def get_many(self, keys, version=None, **kwargs):
        keys = list(keys)
        with self.__dict__[RECORDER].operation as outermost:
            found = super().get_many(keys, version, **kwargs)
        if outermost:
            for key in keys:
                self.__dict__[RECORDER].read(
                    self, key, "get_many", key in found, found.get(key, _MISSING)
                )
        return found

    def has_key(self, key, version=None, **kwargs):
        with self.__dict__[RECORDER].operation as outermost:
            found = super().has_key(key, version, **kwargs)
        if outermost:
            self.__dict__[RECORDER].read(self, key, "has_key", bool(found))
        return found

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None, **kw):
        with self.__dict__[RECORDER].operation as outermost:
            found = super().get(key, _MISSING, version)
            if found is _MISSING:
                found = super().get_or_set(key, default, timeout, version, **kw)
                written = True
            else:
                written = False
        if outermost:
            self.__dict__[RECORDER].read(
                self, key, "get_or_set", not written, _MISSING if written else found
            )
            if written:
                self.__dict__[RECORDER].wrote(self, key, found)
        return found

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        with self.__dict__[RECORDER].operation as outermost:
            added = super().add(key, value, timeout, version, **kwargs)
        if outermost:
            self.__dict__[RECORDER].read(self, key, "add", not added)
            if added:
                self.__dict__[RECORDER].wrote(self, key, value)
        return added

    def incr(self, key, delta=1, version=None, **kwargs):
        return self._isolatedtest_recorded_count("incr", key, delta, version, **kwargs)

    def decr(self, key, delta=1, version=None, **kwargs):
        return self._isolatedtest_recorded_count("decr", key, delta, version, **kwargs)

    def _isolatedtest_recorded_count(self, name, key, delta, version, **kwargs):
        value = _MISSING
        with self.__dict__[RECORDER].operation as outermost:
            try:
                value = getattr(super(), name)(key, delta, version, **kwargs)
            finally:
                if outermost:
                    found = value is not _MISSING and value not in (None, False)
                    self.__dict__[RECORDER].read(self, key, name, found)
                    if found:
                        self.__dict__[RECORDER].wrote(self, key, value)
        return value

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        with self.__dict__[RECORDER].operation as outermost:
            touched = super().touch(key, timeout, version, **kwargs)
        if outermost:
            self.__dict__[RECORDER].read(self, key, "touch", bool(touched))
        return touched

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        with self.__dict__[RECORDER].operation as outermost:
            result = super().set(key, value, timeout, version, **kwargs)
        if outermost:
            self.__dict__[RECORDER].wrote(self, key, value)
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        with self.__dict__[RECORDER].operation as outermost:
            failed = super().set_many(data, timeout, version, **kwargs)
        if outermost:
            for key in data:
                if key not in (failed or ()):
                    self.__dict__[RECORDER].wrote(self, key, data[key])
        return failed

    def delete(self, key, version=None, **kwargs):
        with self.__dict__[RECORDER].operation as outermost:
            deleted = super().delete(key, version, **kwargs)
        if outermost:
            self.__dict__[RECORDER].wrote(self, key)
        return deleted

    def delete_many(self, keys, version=None, **kwargs):
        keys = list(keys)
        with self.__dict__[RECORDER].operation as outermost:
            result = super().delete_many(keys, version, **kwargs)
        if outermost:
            for key in keys:
                self.__dict__[RECORDER].wrote(self, key)
        return result

    def clear(self, *args, **kwargs):
        with self.__dict__[RECORDER].operation as outermost:
            result = super().clear(*args, **kwargs)
        if outermost:
            self.__dict__[RECORDER].clear(self)
        return result


class AccessResource(Resource):
    """Record each test's outside accesses; hand them over as its ``Reads``."""

    def __init__(self, config: Config, isolating: bool) -> None:
        self._excluded = config.exclude_aliases
        self._recorder = Recorder(isolating)
        install(self, self.adopt)

    def adopt(self, alias: str, instance) -> None:
        if alias not in self._excluded:
            extend(instance, AccessRecording)
            instance.__dict__[RECORDER] = self._recorder
            instance.__dict__[ORIGIN] = origin(instance)  # read per call

    def enter(self, scope: Scope) -> None:
        if scope.kind == TEST:
            self._recorder.start_test()

    def leave(self, scope: Scope, restore: bool) -> list[Reads]:
        if scope.kind == TEST:
            reads = self._recorder.end_test(scope.name)
        elif scope.parent is None:
            return []
        else:
            reads = self._recorder.end_class(scope.name)
        return [reads] if reads else []

    def end_run(self) -> None:
        forget(self)


def _pickled(value) -> bytes:
    try:
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except Exception:
        return secrets.token_bytes(16)  # a value to compare: equal to no other
