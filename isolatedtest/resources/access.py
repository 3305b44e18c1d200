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
import types
import weakref
from collections.abc import Callable

from django.core.cache.backends.base import DEFAULT_TIMEOUT

from isolatedtest.conf import Config
from isolatedtest.engine import TEST, Resource, Scope
from isolatedtest.outcomes import Access, Place, Reads
from isolatedtest.resources.adoption import forget, install, origin

_MISSING = object()


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

    def call(self, function, *args, **kwargs) -> tuple:
        """Return ``function``'s result, and whether the call was the outermost.

        (One call in place of ``with``'s two: this is per cache call.)
        """
        local = self.local
        depth = getattr(local, "n", 0)
        local.n = depth + 1
        try:
            return function(*args, **kwargs), depth == 0
        finally:
            local.n = depth


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

    def read(self, where, key, kind: str, found: bool, value=_MISSING) -> None:
        """Record a read of ``key`` at ``where`` (alias, BACKEND, LOCATION)."""
        if not self.testing:
            return
        alias, _, location = where
        place = (location, key)
        if place in self.own or place in self.accesses or location in self.cleared:
            return
        left_by = None if self.isolating or not found else self.left_by.get(place)
        pickled = None if value is _MISSING else _pickled(value)
        self.accesses[place] = Access(
            alias, location, key, kind, found, pickled, left_by
        )

    def wrote(self, where, key, value=_MISSING) -> None:
        """Record a write of ``value`` (_MISSING: a deletion)."""
        place = (where[2], key)
        pickled = None if value is _MISSING else _pickled(value)
        if self.testing:
            self.own.add(place)
            if pickled is not None:
                self.first.setdefault(place, pickled)
        self.written[place] = pickled

    def clear(self, where) -> None:
        location = where[2]
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


# {id(instance): (its recorder, its origin)}: the adopted instances, each
# dropped when it is collected.
_recorded: dict[int, tuple[Recorder, tuple[str, str, str]]] = {}
# {class: {method name: its own method, or None}}: the classes patched.
_patched: dict[type, dict[str, object]] = {}


def _record(cls: type) -> None:
    """Record the cache calls of ``cls``'s adopted instances.

    Patched in place, not swapped per instance: an instance whose class was
    swapped looks its attributes up in a materialized ``__dict__``, which
    costs every cache call about 4%. Other instances' calls pass through.
    """
    if cls in _patched:
        return
    methods = _recording(cls)
    own = {name: cls.__dict__.get(name) for name in methods}
    for name, method in methods.items():
        setattr(cls, name, method)
    _patched[cls] = own


def _unrecord() -> None:
    """Give every patched class its own methods back."""
    for cls, own in _patched.items():
        for name, method in own.items():
            if method is None:
                delattr(cls, name)
            else:
                setattr(cls, name, method)
    _patched.clear()


def _resolved(cls: type, name: str):
    """Return the function ``cls``'s instances call as ``name``, to call unbound."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            found = klass.__dict__[name]
            if isinstance(found, types.FunctionType):
                return found
            break
    return lambda self, *args, **kwargs: getattr(super(cls, self), name)(
        *args, **kwargs
    )


def _recording(cls: type) -> dict[str, Callable]:
    """``cls``'s cache methods, recording outside accesses and the scope's writes."""
    original = {name: _resolved(cls, name) for name in _RECORDED}

    def get(self, key, default=None, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["get"](self, key, default, version, **kwargs)
        recorder, where = recording
        value, outermost = recorder.operation.call(
            original["get"], self, key, _MISSING, version, **kwargs
        )
        if outermost:
            recorder.read(where, key, "get", value is not _MISSING, value)
        return default if value is _MISSING else value

    def get_many(self, keys, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["get_many"](self, keys, version, **kwargs)
        recorder, where = recording
        keys = list(keys)
        found, outermost = recorder.operation.call(
            original["get_many"], self, keys, version, **kwargs
        )
        if outermost:
            for key in keys:
                recorder.read(
                    where, key, "get_many", key in found, found.get(key, _MISSING)
                )
        return found

    def has_key(self, key, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["has_key"](self, key, version, **kwargs)
        recorder, where = recording
        found, outermost = recorder.operation.call(
            original["has_key"], self, key, version, **kwargs
        )
        if outermost:
            recorder.read(where, key, "has_key", bool(found))
        return found

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None, **kw):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["get_or_set"](self, key, default, timeout, version, **kw)
        recorder, where = recording
        with recorder.operation as outermost:
            found = original["get"](self, key, _MISSING, version)
            written = found is _MISSING
            if written:
                found = original["get_or_set"](
                    self, key, default, timeout, version, **kw
                )
        if outermost:
            recorder.read(
                where, key, "get_or_set", not written, _MISSING if written else found
            )
            if written:
                recorder.wrote(where, key, found)
        return found

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["add"](self, key, value, timeout, version, **kwargs)
        recorder, where = recording
        added, outermost = recorder.operation.call(
            original["add"], self, key, value, timeout, version, **kwargs
        )
        if outermost:
            recorder.read(where, key, "add", not added)
            if added:
                recorder.wrote(where, key, value)
        return added

    def counted(name):
        def count(self, key, delta=1, version=None, **kwargs):
            recording = _recorded.get(id(self))
            if recording is None:
                return original[name](self, key, delta, version, **kwargs)
            recorder, where = recording
            value = _MISSING
            with recorder.operation as outermost:
                try:
                    value = original[name](self, key, delta, version, **kwargs)
                finally:
                    if outermost:
                        found = value is not _MISSING and value not in (None, False)
                        recorder.read(where, key, name, found)
                        if found:
                            recorder.wrote(where, key, value)
            return value

        count.__name__ = name
        return count

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["touch"](self, key, timeout, version, **kwargs)
        recorder, where = recording
        touched, outermost = recorder.operation.call(
            original["touch"], self, key, timeout, version, **kwargs
        )
        if outermost:
            recorder.read(where, key, "touch", bool(touched))
        return touched

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["set"](self, key, value, timeout, version, **kwargs)
        recorder, where = recording
        result, outermost = recorder.operation.call(
            original["set"], self, key, value, timeout, version, **kwargs
        )
        if outermost:
            recorder.wrote(where, key, value)
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["set_many"](self, data, timeout, version, **kwargs)
        recorder, where = recording
        failed, outermost = recorder.operation.call(
            original["set_many"], self, data, timeout, version, **kwargs
        )
        if outermost:
            for key in data:
                if key not in (failed or ()):
                    recorder.wrote(where, key, data[key])
        return failed

    def delete(self, key, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["delete"](self, key, version, **kwargs)
        recorder, where = recording
        deleted, outermost = recorder.operation.call(
            original["delete"], self, key, version, **kwargs
        )
        if outermost:
            recorder.wrote(where, key)
        return deleted

    def delete_many(self, keys, version=None, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["delete_many"](self, keys, version, **kwargs)
        recorder, where = recording
        keys = list(keys)
        result, outermost = recorder.operation.call(
            original["delete_many"], self, keys, version, **kwargs
        )
        if outermost:
            for key in keys:
                recorder.wrote(where, key)
        return result

    def clear(self, *args, **kwargs):
        recording = _recorded.get(id(self))
        if recording is None:
            return original["clear"](self, *args, **kwargs)
        recorder, where = recording
        result, outermost = recorder.operation.call(
            original["clear"], self, *args, **kwargs
        )
        if outermost:
            recorder.clear(where)
        return result

    incr, decr = counted("incr"), counted("decr")
    methods = {name: value for name, value in locals().items() if name in _RECORDED}
    for method in methods.values():
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    return methods


_RECORDED = (
    "get",
    "get_many",
    "has_key",
    "get_or_set",
    "add",
    "incr",
    "decr",
    "touch",
    "set",
    "set_many",
    "delete",
    "delete_many",
    "clear",
)


class AccessResource(Resource):
    """Record each test's outside accesses; hand them over as its ``Reads``."""

    def __init__(self, config: Config, isolating: bool) -> None:
        self._excluded = config.exclude_aliases
        self._recorder = Recorder(isolating)
        install(self, self.adopt)

    def adopt(self, alias: str, instance) -> None:
        if alias not in self._excluded:
            _record(type(instance))
            weakref.finalize(instance, _recorded.pop, id(instance), None)
            _recorded[id(instance)] = (self._recorder, origin(instance))

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
        for key, (recorder, _) in list(_recorded.items()):
            if recorder is self._recorder:
                del _recorded[key]
        if not _recorded:
            _unrecord()


def _pickled(value) -> bytes:
    try:
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except Exception:
        return secrets.token_bytes(16)  # a value to compare: equal to no other
