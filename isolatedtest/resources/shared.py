"""Caches on shared servers: each run, process, store and scope in its own namespace.

Memcached, file and database caches (``isolatedtest.backends``) are shared
with parallel workers, concurrent runs and whatever else uses the server,
so they are never flushed. Each *store* (a set of Memcached servers, a
directory, a table) gets one namespace (``namespaces.py``) shared by every
alias on it, as they share its data without isolation; each engine scope
gets a frame of it.

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
from isolatedtest.engine import TEST, Resource, Scope
from isolatedtest.internals import made_caches
from isolatedtest.outcomes import Outcome
from isolatedtest.resources.adoption import extend, forget, install, origin
from isolatedtest.resources.namespaces import NAMESPACE_MARK, Frame, Namespace
from isolatedtest.resources.overrides import NamespacedCache

_NOTHING: list = []  # what a scope's end returns when there is nothing (not mutated)


class SharedResource(Resource):
    """Every cache of this process whose data lives outside it."""

    leaves_with_state = True  # its frames of each namespace
    enters = False  # until a cache on a shared server is adopted

    def __init__(self, config: Config, reset: bool, run_id: str) -> None:
        self._reset = reset
        self._excluded = config.exclude_aliases
        self._persistent = config.persistent_matcher()
        self._base = f"{NAMESPACE_MARK}:{run_id}:{os.getpid()}"
        self._namespaces: dict[tuple, Namespace] = {}
        self._fixture: Scope | None = None  # whose fixture is setting up
        install(self, self.adopt)

    def adopt(self, alias: str, instance) -> None:
        """Route ``instance``'s keys through its store's namespace, in place."""
        cls = type(instance)
        backend = namespaced(cls)
        if alias in self._excluded or backend is None:
            return
        params = caches.settings.get(alias, {})
        namespace = self._namespace(backend.store_of(params))
        namespace.aliases[alias] = origin(instance)[1:]
        extend(instance, backend.Cache)
        instance.__dict__["_isolatedtest_namespace"] = namespace
        instance.__dict__["_isolatedtest_alias"] = alias
        namespace.verify = namespace.verify or instance._isolatedtest_swallows_errors()
        instance._isolatedtest_adopted()

    def _namespace(self, store: tuple) -> Namespace:
        """The store's namespace, with a frame for each scope open now."""
        if store not in self._namespaces:
            namespace = Namespace(self._base, self._reset, self._persistent)
            chain = []
            scope = self.engine.current if self.engine else None
            while scope is not None and scope.parent is not None:
                chain.append(scope)
                scope = scope.parent
            frame = namespace.run
            if scope is not None:
                self._frames(scope)[namespace] = frame
            for scope in reversed(chain):
                frame = namespace.child(frame, scope.kind == TEST, scope.exempt)
                self._frames(scope)[namespace] = frame
            namespace.current = frame
            if self._fixture is not None:
                namespace.begin_fixture(self._frames(self._fixture)[namespace])
            self._namespaces[store] = namespace
            if not self.enters:
                self.enters = True
                if self.engine:
                    self.engine.refresh()
        return self._namespaces[store]

    def _frames(self, scope: Scope) -> dict[Namespace, Frame]:
        frames = scope.state[self.slot]
        if frames is None:
            frames = scope.state[self.slot] = {}
        return frames

    def start_worker(self) -> None:
        # Connections inherited from the parent process must not be shared.
        for _, instance in made_caches():
            if isinstance(instance, NamespacedCache):
                instance.close()

    def enter(self, scope: Scope) -> None:
        if scope.parent is None:  # the run: each namespace's own run frame
            frames = self._frames(scope)
            for namespace in self._namespaces.values():
                frames[namespace] = namespace.run
            return
        parents = scope.parent.state[self.slot] or {}
        frames = scope.state[self.slot] = {}
        test = scope.kind == TEST
        for namespace, parent in parents.items():
            frame = frames[namespace] = namespace.child(parent, test, scope.exempt)
            namespace.current = frame

    def leave(self, scope: Scope, report: bool) -> list[Outcome]:
        frames = scope.state[self.slot]
        if not frames:
            return _NOTHING
        outcomes: list[Outcome] = []
        for namespace, frame in frames.items():
            try:
                outcomes += namespace.leave(frame, report, scope.exempt)
            except Exception as error:  # a bug here must not break the run
                outcomes.append(namespace.failure(next(iter(namespace.aliases)), error))
        return outcomes

    def begin_fixture(self, scope: Scope) -> None:
        self._fixture = scope
        for namespace, frame in self._frames(scope).items():
            namespace.begin_fixture(frame)

    def end_fixture(self, scope: Scope) -> None:
        self._fixture = None
        for namespace, frame in self._frames(scope).items():
            namespace.end_fixture(frame)

    def end_run(self) -> list[Outcome]:
        forget(self)
        outcomes: list[Outcome] = []
        for namespace in self._namespaces.values():
            try:
                outcomes += namespace.end_run()
            except Exception as error:
                outcomes.append(namespace.failure(next(iter(namespace.aliases)), error))
        return outcomes
