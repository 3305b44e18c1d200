"""Caches on shared servers: each run, process, store and scope in its own namespace.

Memcached, file and database caches (Redis has a store of its own:
``redis.py``) are shared with parallel
workers, concurrent runs and whatever else uses the server, so they are
never flushed. Each *store* (a Redis database, a set of Memcached servers, a
directory, a table) gets one namespace (``namespace.py``) shared by every
alias on it, as they share its data without isolation.

Cache instances are adopted in place (``adoption.py``): their class is
swapped for one with the overrides of ``namespaced.py``. That covers those
created before isolation started, those captured at import time, and those
the cache handler creates later, in any thread and under
``override_settings``. Nothing here contacts a server until a test uses the
alias.
"""

from __future__ import annotations

import os
import re

from django.core.cache import caches

from isolatedtest.conf import Config
from isolatedtest.stores import Outcome, is_backend
from isolatedtest.stores.adoption import extend, install, origin
from isolatedtest.stores.culling import DatabaseNamespacedCache, FileNamespacedCache
from isolatedtest.stores.memcached import MemcachedNamespacedCache, watch
from isolatedtest.stores.namespace import NAMESPACE_MARK, Namespace
from isolatedtest.stores.namespaced import NamespacedCache

MEMCACHED_BACKENDS = frozenset(
    {
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
    }
)
FILE_BACKEND = "django.core.cache.backends.filebased.FileBasedCache"
DATABASE_BACKEND = "django.core.cache.backends.db.DatabaseCache"
SHARED_BACKENDS = MEMCACHED_BACKENDS | {FILE_BACKEND, DATABASE_BACKEND}
_NOTHING: list = []  # what a scope end returns when there is nothing (not mutated)


def is_shared(cls: type) -> bool:
    """Return whether ``cls`` is a backend isolated by namespaces."""
    return is_backend(cls, SHARED_BACKENDS)


def store_of(cls: type, params: dict) -> tuple:
    """Return what identifies the store an alias keeps its data in.

    Aliases on one set of Memcached servers, one directory or one table
    share their data, whatever their KEY_PREFIX,
    VERSION or backend class.
    """
    location = params.get("LOCATION", "")
    if is_backend(cls, {FILE_BACKEND}):
        return ("file", os.path.abspath(str(location)))
    if is_backend(cls, {DATABASE_BACKEND}):
        return ("database", str(location))
    if isinstance(location, str):
        location = re.split(r"[;,]", location)
    servers = tuple(server.strip() for server in location if server.strip())
    return ("memcached", tuple(sorted(servers)))


def mixin_for(cls: type) -> type:
    if is_backend(cls, {FILE_BACKEND}):
        return FileNamespacedCache
    if is_backend(cls, {DATABASE_BACKEND}):
        return DatabaseNamespacedCache
    return MemcachedNamespacedCache


def swallows_errors(instance) -> bool:
    """Whether the client hides a server's failures (then writes may not land).

    django-redis with IGNORE_EXCEPTIONS, pymemcache with ignore_exc.
    """
    options = getattr(instance, "_options", None)
    return bool(
        getattr(instance, "_ignore_exceptions", False)
        or (isinstance(options, dict) and options.get("ignore_exc"))
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
        self._depth = 0  # scopes open deeper than run and class (pytest's)
        self._fixture: int | None = None  # depth of the fixture setting up
        install("shared", self.adopt)

    def adopt(self, alias: str, instance) -> None:
        """Route ``instance``'s keys through its store's namespace, in place."""
        cls = type(instance)
        if alias in self._excluded or not is_shared(cls):
            return
        namespace = self._namespace(store_of(cls, caches.settings.get(alias, {})))
        namespace.aliases[alias] = origin(instance)[1:]
        namespace.verify = namespace.verify or swallows_errors(instance)
        extend(instance, mixin_for(cls))
        instance.__dict__["_isolatedtest_namespace"] = namespace
        instance.__dict__["_isolatedtest_alias"] = alias
        if "_cache" in instance.__dict__ and is_backend(cls, MEMCACHED_BACKENDS):
            watch(instance, instance.__dict__["_cache"])  # made before adoption

    def _namespace(self, store: tuple) -> Namespace:
        if store not in self._namespaces:
            namespace = Namespace(self._base, self._reset, self._persistent)
            for _ in range(self._depth):
                namespace.open_scope()
            if self._in_class:
                namespace.start_class()
            if self._in_test:
                namespace.start_test()
            if self._fixture is not None:
                namespace.begin_fixture(self._fixture)
            self._namespaces[store] = namespace
        return self._namespaces[store]

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

    def open_scope(self) -> None:
        self._depth += 1
        for namespace in self._namespaces.values():
            namespace.open_scope()

    def close_scope(self, report: bool) -> list[Outcome]:
        self._depth -= 1
        return self._each(lambda namespace: namespace.close_scope(report))

    def begin_fixture(self, depth: int) -> None:
        self._fixture = depth
        for namespace in self._namespaces.values():
            namespace.begin_fixture(depth)

    def end_fixture(self, depth: int) -> None:
        self._fixture = None
        for namespace in self._namespaces.values():
            namespace.end_fixture(depth)

    def _each(self, call) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for namespace in self._namespaces.values():
            try:
                outcomes += call(namespace)
            except Exception as error:  # a bug here must not break the run
                outcomes.append(namespace.failure(next(iter(namespace.aliases)), error))
        return outcomes
