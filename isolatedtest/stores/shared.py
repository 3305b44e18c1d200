"""Caches on shared servers: each run, process and scope in its own namespace.

Redis, Memcached, file and database caches are shared with parallel
workers, concurrent runs and whatever else uses the server, so they are
never flushed. Every key an isolated process makes carries a namespace tag
after the user's KEY_PREFIX: ``isolatedtest:<run id>:<pid>:<generation>``.
A scope (class, test) gets a fresh generation, so undoing a test is
switching back to its class's generation, with no I/O; ``clear()`` in a
scope is a fresh generation too. The keys each scope writes are recorded:
that is the leak list, and it lets the run delete exactly its own keys.
A test whose class wrote keys gets them copied into its generation on its
first cache operation, from the values recorded when the class wrote them.

Cache instances are adopted in place (their class is swapped for a subclass
carrying the overrides below, their ``key_func`` routed through the
namespace): those created before isolation started, those captured at
import time, and those the cache handler creates later, in any thread and
under ``override_settings``. Nothing here contacts a server until a test
uses the alias.
"""

from __future__ import annotations

import math
import os
import pickle
import threading
import time
from collections import defaultdict
from contextlib import contextmanager

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from isolatedtest.conf import Config
from isolatedtest.stores import Leak, Outcome, ResetFailure, is_backend
from isolatedtest.stores.memcached import delete_in_one_trip, is_pymemcache
from isolatedtest.stores.sweep import is_redis, sweep_dead_runs

SHARED_BACKENDS = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.cache.backends.db.DatabaseCache",
        "django_redis.cache.RedisCache",
    }
)
NAMESPACE_MARK = "isolatedtest"
MAX_TIMEOUT = 24 * 60 * 60  # seconds; see sweep.py
_UNKNOWN = object()  # a value isolatedtest did not see (it cannot copy it)
_KEEP = object()  # an operation that leaves the key's expiry as it was
_NOTHING: list = []  # what a scope end returns when there is nothing (not mutated)

# While set, the current thread is doing isolatedtest's own I/O in the
# namespace generation ``tag``: no bookkeeping, no copying.
_internal = threading.local()


def is_shared(cls: type) -> bool:
    """Return whether ``cls`` is a backend isolated by namespaces."""
    return is_backend(cls, SHARED_BACKENDS)


@contextmanager
def _in_generation(tag: str):
    _internal.tag = tag
    try:
        yield
    finally:
        _internal.tag = None


class Space:
    """One generation of a namespace: the keys known to be in it."""

    __slots__ = ("dead", "instance", "keeps_values", "keys", "materialized", "tag")

    def __init__(self, tag: str, materialized: bool, keeps_values: bool) -> None:
        self.tag = tag
        self.materialized = materialized
        # Only a generation that scopes inherit from needs the values.
        self.keeps_values = keeps_values
        # {(key, version): [expiry or None, pickled value or _UNKNOWN]}
        self.keys: dict[tuple, list] = {}
        self.dead: list[tuple[str, dict]] = []  # generations emptied by clear()
        self.instance = None  # an instance that can reach the server


class Scope:
    """A run, class or test, as seen by one namespace."""

    __slots__ = ("parent", "space", "written")

    def __init__(self, parent: Scope | None, space: Space) -> None:
        self.parent = parent
        self.space = space
        self.written: set[tuple] = set()


class Namespace:
    """The scopes of one shared cache (alias, backend, location) in this process."""

    def __init__(
        self, alias, backend, location, base, reset, persistent, sweep, pymemcache
    ) -> None:
        self.alias = alias
        self.backend = backend
        self.location = location
        self._base = base
        self._count = 0
        self._reset = reset
        self._persistent = persistent
        self._persistent_keys: dict[str, bool] = {}
        self._sweep_pending = sweep
        self._pymemcache = pymemcache
        self.run = Scope(None, self._space(materialized=True))
        self.klass: Scope | None = None
        self.current = self._child(self.run, keeps_values=True)

    # Scope changes.

    def _space(self, materialized: bool = False, keeps_values: bool = True) -> Space:
        self._count += 1
        return Space(f"{self._base}:{self._count}", materialized, keeps_values)

    def _child(self, parent: Scope, keeps_values: bool) -> Scope:
        if self._reset:
            return Scope(parent, self._space(keeps_values=keeps_values))
        return Scope(parent, parent.space)

    def start_class(self) -> None:
        self.klass = self.current

    def start_test(self) -> None:
        self.current = self._child(self.klass or self.run, keeps_values=False)

    def end_test(self) -> list[Outcome]:
        test, self.current = self.current, self.klass or self.run
        return self._end(test, report=True)

    def start_exempt_test(self) -> None:
        # An exempt test writes into its class's generation; what it writes
        # is its own (not charged to the class), and undone with the class.
        klass = self.klass or self.run
        self.current = Scope(klass, klass.space)

    def end_exempt_test(self) -> None:
        self.current = self.klass or self.run

    def end_class(self, report: bool) -> list[Outcome]:
        klass, self.klass = self.current, None
        self.current = self._child(self.run, keeps_values=True)
        return self._end(klass, report)

    def end_run(self) -> list[Outcome]:
        self._discard(self.current.space)
        self._discard(self.run.space)
        return []

    def _end(self, scope: Scope, report: bool) -> list[Outcome]:
        leak = self._leak(scope) if report else None
        if self._reset:
            self._discard(scope.space)
        return [leak] if leak else []

    def _leak(self, scope: Scope) -> Leak | None:
        now = time.time()
        keys = scope.space.keys
        leaked = tuple(
            key
            for key, version in scope.written
            if (key, version) in keys and _live(keys[key, version], now)
        )
        if not leaked:
            return None
        return Leak(self.alias, self.backend, self.location, tuple(sorted(leaked)))

    def _discard(self, space: Space) -> None:
        """Delete from the server every key this process put in ``space``."""
        generations = [*space.dead, (space.tag, space.keys)]
        space.dead, space.keys = [], {}
        for tag, keys in generations:
            by_version = defaultdict(list)
            for key, version in keys:
                by_version[version].append(key)
            with _in_generation(tag):
                for version, names in by_version.items():
                    if self._pymemcache:
                        delete_in_one_trip(space.instance, names, version)
                    else:
                        _base_call(
                            space.instance, "delete_many", names, version=version
                        )

    # Routing and bookkeeping, called by NamespacedCache.

    def prefix(self, user_prefix: str, key: str) -> str:
        tag = getattr(_internal, "tag", None) or self._space_for(key).tag
        return f"{user_prefix}:{tag}" if user_prefix else tag

    def _space_for(self, key: str) -> Space:
        if self._persistent and self._is_persistent(key):
            return self.run.space
        return self.current.space

    def _is_persistent(self, key: str) -> bool:
        found = self._persistent_keys.get(key)
        if found is None:
            found = self._persistent_keys[key] = bool(self._persistent.match(key))
        return found

    def enter(self, instance) -> bool:
        """Prepare the current scope for an operation; False for our own I/O."""
        if getattr(_internal, "tag", None):
            return False
        if self._sweep_pending:
            self._sweep_pending = False
            self._sweep(instance)
        space = self.current.space
        space.instance = instance
        if not space.materialized:
            space.materialized = True
            self._inherit(self.current, instance)
        return True

    def _sweep(self, instance) -> None:
        """Delete what this host's dead runs left: once, at first use."""
        try:
            with _in_generation(self.run.space.tag):
                sweep_dead_runs(instance, instance.key_prefix, NAMESPACE_MARK)
        except Exception:
            # Housekeeping only: the test's own operation reports an
            # unreachable server, and the next run sweeps again.
            pass

    def _failure(self, error: Exception) -> ResetFailure:
        return ResetFailure(
            self.alias, self.backend, self.location, f"{type(error).__name__}: {error}"
        )

    def _inherit(self, scope: Scope, instance) -> None:
        """Copy the keys the enclosing scopes left visible into ``scope``."""
        parent = scope.parent
        while not parent.space.materialized:
            parent = parent.parent
        now = time.time()
        groups: dict[tuple, dict] = defaultdict(dict)
        for (key, version), (expiry, value) in parent.space.keys.items():
            if value is _UNKNOWN or not _live((expiry, value), now):
                continue
            if self._persistent and self._is_persistent(key):
                continue
            ttl = None if expiry is None else max(1, math.ceil(expiry - now))
            groups[version, ttl][key] = pickle.loads(value)
            scope.space.keys[key, version] = [expiry, value]
        with _in_generation(scope.space.tag):
            for (version, ttl), data in groups.items():
                _base_call(instance, "set_many", data, timeout=ttl, version=version)

    def wrote(self, instance, key, version, timeout, value=_UNKNOWN) -> None:
        version = _version(instance, version)
        if timeout is not _KEEP:
            timeout = _seconds(instance, timeout)
            if timeout is not None and timeout <= 0:
                self.deleted(key, version)
                return
        space = self._space_for(key)
        entry = space.keys.get((key, version))
        if timeout is _KEEP:
            expiry = entry[0] if entry else None
        else:
            expiry = None if timeout is None else time.time() + timeout
        if value is not _UNKNOWN and space.keeps_values:
            value = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        else:
            value = _UNKNOWN
        space.keys[key, version] = [expiry, value]
        if space is self.current.space:
            self.current.written.add((key, version))

    def touched(self, instance, key, version, timeout) -> None:
        entry = self._space_for(key).keys.get((key, _version(instance, version)))
        if entry is not None:
            timeout = _seconds(instance, timeout)
            entry[0] = None if timeout is None else time.time() + timeout

    def deleted(self, key, version) -> None:
        self._space_for(key).keys.pop((key, version), None)
        self.current.written.discard((key, version))

    def cleared(self) -> None:
        """Empty the current scope: a fresh generation, the old one to delete."""
        space = self.current.space
        space.dead.append((space.tag, space.keys))
        self._count += 1
        space.tag = f"{self._base}:{self._count}"
        space.keys = {}
        space.materialized = True
        self.current.written.clear()


def _live(entry, now: float) -> bool:
    return entry[0] is None or entry[0] > now


def _base_call(instance, name, *args, **kwargs):
    """Call the backend's own method, bypassing NamespacedCache's override."""
    return getattr(super(NamespacedCache, instance), name)(*args, **kwargs)


def _version(instance, version):
    return instance.version if version is None else version


def _seconds(instance, timeout):
    return instance.default_timeout if timeout is DEFAULT_TIMEOUT else timeout


class NamespacedCache:
    """Overrides swapped into adopted instances: keep the books, scope clear()."""

    _isolatedtest_namespace: Namespace

    def _isolatedtest_key_func(self, key, key_prefix, version):
        prefix = self._isolatedtest_namespace.prefix(key_prefix, key)
        return self._isolatedtest_user_key_func(key, prefix, version)

    def _isolatedtest_call(self, name, *args, **kwargs):
        """Call the backend's own method; say which alias failed, if it fails."""
        try:
            return getattr(super(), name)(*args, **kwargs)
        except Exception as error:
            _explain(error, self._isolatedtest_namespace)
            raise

    def get(self, *args, **kwargs):
        self._isolatedtest_namespace.enter(self)
        return self._isolatedtest_call("get", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        self._isolatedtest_namespace.enter(self)
        return self._isolatedtest_call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        self._isolatedtest_namespace.enter(self)
        return self._isolatedtest_call("has_key", *args, **kwargs)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        if not namespace.enter(self):
            return self._isolatedtest_call(
                "set", key, value, timeout, version, **kwargs
            )
        timeout = _capped(self, timeout)
        result = self._isolatedtest_call("set", key, value, timeout, version, **kwargs)
        if result is not False:
            namespace.wrote(self, key, version, timeout, value)
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        if not namespace.enter(self):
            return self._isolatedtest_call(
                "add", key, value, timeout, version, **kwargs
            )
        timeout = _capped(self, timeout)
        added = self._isolatedtest_call("add", key, value, timeout, version, **kwargs)
        if added:
            namespace.wrote(self, key, version, timeout, value)
        return added

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        if not namespace.enter(self):
            return self._isolatedtest_call("set_many", data, timeout, version, **kwargs)
        timeout = _capped(self, timeout)
        failed = self._isolatedtest_call("set_many", data, timeout, version, **kwargs)
        for key, value in data.items():
            if key not in (failed or ()):
                namespace.wrote(self, key, version, timeout, value)
        return failed

    def incr(self, key, delta=1, version=None, **kwargs):
        return self._isolatedtest_count("incr", key, delta, version, **kwargs)

    def decr(self, key, delta=1, version=None, **kwargs):
        return self._isolatedtest_count("decr", key, delta, version, **kwargs)

    def _isolatedtest_count(self, name, key, delta, version, **kwargs):
        namespace = self._isolatedtest_namespace
        if not namespace.enter(self):
            return self._isolatedtest_call(name, key, delta, version, **kwargs)
        value = self._isolatedtest_call(name, key, delta, version, **kwargs)
        namespace.wrote(self, key, version, _KEEP, value)
        return value

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        if not namespace.enter(self):
            return self._isolatedtest_call("touch", key, timeout, version, **kwargs)
        timeout = _capped(self, timeout)
        touched = self._isolatedtest_call("touch", key, timeout, version, **kwargs)
        if touched:
            namespace.touched(self, key, version, timeout)
        return touched

    def delete(self, key, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        ours = namespace.enter(self)
        deleted = self._isolatedtest_call("delete", key, version, **kwargs)
        if ours:
            namespace.deleted(key, _version(self, version))
        return deleted

    def delete_many(self, keys, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        ours = namespace.enter(self)
        keys = list(keys)
        result = self._isolatedtest_call("delete_many", keys, version, **kwargs)
        if ours:
            for key in keys:
                namespace.deleted(key, _version(self, version))
        return result

    def clear(self, *args, **kwargs):
        # Never FLUSHDB / flush_all / DELETE FROM: start a new generation.
        if self._isolatedtest_namespace.enter(self):
            self._isolatedtest_namespace.cleared()


def _capped(instance, timeout):
    """Bound a timeout so that keys a crashed run leaves behind expire."""
    seconds = _seconds(instance, timeout)
    return MAX_TIMEOUT if seconds is None else min(seconds, MAX_TIMEOUT)


def _explain(error: Exception, namespace: Namespace) -> None:
    """Add a note naming the alias to a connection error (Python 3.11+)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if names.isdisjoint({"ConnectionError", "TimeoutError", "OSError"}):
        return
    if hasattr(error, "add_note"):
        error.add_note(
            f"isolatedtest: cache alias {namespace.alias!r} ({namespace.backend} "
            f"at {namespace.location!r}) could not be reached. Start the server, "
            "or leave the alias out with ISOLATEDTEST['EXCLUDE_ALIASES']."
        )


class SharedStore:
    """Every cache of this process whose data lives outside it."""

    def __init__(self, config: Config, reset: bool, run_id: str) -> None:
        self._reset = reset
        self._excluded = config.exclude_aliases
        self._persistent = config.persistent_matcher()
        self._base = f"{NAMESPACE_MARK}:{run_id}:{os.getpid()}"
        self._namespaces: dict[tuple, Namespace] = {}
        self._in_class = False
        self._in_test = False
        self._install()

    def _install(self) -> None:
        """Adopt existing instances and every instance the handler creates."""
        handler_create = type(caches).create_connection

        def create_connection(alias):
            instance = handler_create(caches, alias)
            self.adopt(alias, instance)
            return instance

        caches.create_connection = create_connection
        for alias in caches.settings:
            instance = getattr(caches._connections, alias, None)
            if instance is not None:
                self.adopt(alias, instance)

    def adopt(self, alias: str, instance) -> None:
        """Route ``instance``'s keys through its namespace, in place."""
        cls = type(instance)
        if alias in self._excluded or not is_shared(cls):
            return
        if not isinstance(instance, NamespacedCache):
            instance.__class__ = _namespaced_class(cls)
            instance._isolatedtest_user_key_func = instance.key_func
            instance.key_func = instance._isolatedtest_key_func
        instance._isolatedtest_namespace = self._namespace(alias, instance)

    def _namespace(self, alias: str, instance) -> Namespace:
        params = caches.settings.get(alias, {})
        backend = params.get("BACKEND", type(instance).__qualname__)
        location = str(params.get("LOCATION", ""))
        key = (alias, backend, location)
        if key not in self._namespaces:
            namespace = Namespace(
                alias,
                backend,
                location,
                self._base,
                self._reset,
                self._persistent,
                sweep=is_redis(type(instance)),
                pymemcache=is_pymemcache(type(instance)),
            )
            if self._in_class:
                namespace.start_class()
            if self._in_test:
                namespace.start_test()
            self._namespaces[key] = namespace
        return self._namespaces[key]

    def start_worker(self) -> None:
        # Connections inherited from the parent process must not be shared.
        for alias in caches.settings:
            instance = getattr(caches._connections, alias, None)
            if isinstance(instance, NamespacedCache):
                instance.close()

    def start_run(self) -> None:
        pass

    def start_class(self) -> None:
        self._in_class = True
        for namespace in self._namespaces.values():
            namespace.start_class()

    def start_test(self) -> None:
        self._in_test = True
        if self._namespaces:
            for namespace in self._namespaces.values():
                namespace.start_test()

    def end_test(self) -> list[Outcome]:
        self._in_test = False
        if not self._namespaces:
            return _NOTHING
        return self._each(lambda namespace: namespace.end_test())

    def start_exempt_test(self) -> None:
        self._in_test = True
        for namespace in self._namespaces.values():
            namespace.start_exempt_test()

    def end_exempt_test(self) -> None:
        self._in_test = False
        for namespace in self._namespaces.values():
            namespace.end_exempt_test()

    def end_class(self, report: bool) -> list[Outcome]:
        self._in_class = False
        return self._each(lambda namespace: namespace.end_class(report))

    def abort_class(self) -> None:
        self._in_class = False
        self._each(lambda namespace: namespace.end_class(report=False))

    def end_run(self) -> list[Outcome]:
        return self._each(lambda namespace: namespace.end_run())

    def _each(self, call) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for namespace in self._namespaces.values():
            try:
                outcomes += call(namespace)
            except Exception as error:
                outcomes.append(namespace._failure(error))
        return outcomes


_classes: dict[type, type] = {}


def _namespaced_class(cls: type) -> type:
    if cls not in _classes:
        _classes[cls] = type(cls.__name__, (NamespacedCache, cls), {})
    return _classes[cls]
