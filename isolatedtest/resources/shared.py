"""Caches on shared servers: each run, process, store and scope in its own namespace.

Memcached, file and database caches (``isolatedtest.backends``) are shared
with parallel workers, concurrent runs and whatever else uses the server,
so they are never flushed. Each *store* (a set of Memcached servers, a
directory, a table) gets one namespace (``namespaces.py``) shared by every
alias on it, as they share its data without isolation; each engine scope
gets a frame of it (``generations.py``).

Cache instances are adopted in place (``adoption.py``): their class is
swapped for one with their backend's overrides (``overrides.py``). That
covers those created before isolation started, those captured at import
time, and those the cache handler creates later, in any thread and under
``override_settings``. Nothing here contacts a server until a test uses the
alias.
"""

from __future__ import annotations

import os

from django.core.cache import caches

from isolatedtest.backends import namespaced
from isolatedtest.conf import Config
from isolatedtest.internals import made_caches
from isolatedtest.outcomes import Outcome
from isolatedtest.resources.adoption import extend, forget, install, origin
from isolatedtest.resources.generations import NAMESPACE_MARK, NamespaceResource
from isolatedtest.resources.namespaces import CacheNamespace
from isolatedtest.resources.overrides import NamespacedCache


class SharedResource(NamespaceResource):
    """Every cache of this process whose data lives outside it."""

    def __init__(self, config: Config, reset: bool, run_id: str) -> None:
        super().__init__(reset)
        self._excluded = config.exclude_aliases
        self._persistent = config.persistent_matcher()
        self._base = f"{NAMESPACE_MARK}:{run_id}:{os.getpid()}"
        install(self, self.adopt, guards_data=True)

    def make(self, store) -> CacheNamespace:
        return CacheNamespace(self._base, self.reset, self._persistent)

    def adopt(self, alias: str, instance) -> None:
        """Route ``instance``'s keys through its store's namespace, in place."""
        backend = namespaced(type(instance))
        if alias in self._excluded or backend is None:
            return
        params = caches.settings.get(alias, {})
        namespace = self.namespace(backend.store_of(params))
        namespace.aliases[alias] = origin(instance)[1:]
        extend(instance, backend.Cache)
        instance.__dict__["_isolatedtest_namespace"] = namespace
        instance.__dict__["_isolatedtest_alias"] = alias
        namespace.verify = namespace.verify or instance._isolatedtest_swallows_errors()
        instance._isolatedtest_adopted()

    def start_worker(self) -> None:
        # Connections inherited from the parent process must not be shared.
        for _, instance in made_caches():
            if isinstance(instance, NamespacedCache):
                instance.close()

    def end_run(self) -> list[Outcome]:
        forget(self)
        return super().end_run()

    def failure(self, namespace: CacheNamespace, error: Exception) -> Outcome:
        return namespace.failure(next(iter(namespace.aliases)), error)
