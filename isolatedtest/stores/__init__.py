"""Adapters between the isolation engine and the places cache data lives.

Each store follows the engine's scopes (run, class, test, or run, any
number of nested scopes, test) with its own
strategy: in-process data is snapshotted and restored, data on shared
servers is namespaced per scope, cache objects' own attributes are put
back. Adding a kind of backend means adding a module here and a line to
``build_stores``.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.module_loading import import_string

from isolatedtest.conf import Config


@dataclass(slots=True)
class Leak:
    """What one cache alias kept after the scope that wrote it ended.

    ``keys`` as code passed them; ``attributes`` of the cache object itself
    that the scope set, rebound or deleted.
    """

    alias: str
    backend: str
    location: str
    keys: tuple[str, ...]
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResetFailure:
    """A store that could not be reset; reported, never raised into a test."""

    alias: str
    backend: str
    location: str
    error: str


class PendingLeak:
    """What a scope left, captured cheaply; worked into a Leak when reported."""

    __slots__ = ()

    def resolve(self) -> Leak | None:
        raise NotImplementedError

    def count(self) -> tuple[str, int] | None:
        """Return (alias or location, number of keys), without resolving."""
        leak = self.resolve()
        return (leak.alias or leak.location, len(leak.keys)) if leak else None


@dataclass(frozen=True)
class RawWrite:
    """Keys a scope wrote through a cache's raw client, which is not isolated.

    (Memcached's ``cache._cache``: its writes bypass the key function.)
    """

    alias: str
    backend: str
    location: str
    keys: tuple[str, ...]


Outcome = Leak | PendingLeak | ResetFailure | RawWrite


class Store(Protocol):
    """The data of one kind of backend, following the engine's scopes.

    ``end_*`` methods return what the scope left behind (``Leak``) and
    resets that failed (``ResetFailure``); they undo the scope's writes when
    the store isolates, and only report them otherwise.
    """

    def start_worker(self) -> None:
        """Forget data inherited from the parent process (forked workers)."""

    def start_run(self) -> None: ...

    def start_class(self) -> None:
        """Called after the class's setup: its state is what each test sees."""

    def start_test(self) -> None: ...

    def end_test(self) -> list[Outcome]: ...

    def start_exempt_test(self) -> None:
        """Begin a test whose writes become its class's state (exempt)."""

    def end_exempt_test(self) -> None:
        """End an exempt test: its class keeps its writes, uncharged."""

    def end_class(self, report: bool) -> list[Outcome]: ...

    def abort_class(self) -> None:
        """Undo what a failed class setup wrote."""

    def end_run(self) -> list[Outcome]:
        """Remove whatever the run still has in shared places."""

    # Scopes that nest deeper than run and class (pytest's session, package,
    # module and class), driven instead of start_class/end_class.

    def open_scope(self) -> None:
        """Open a scope inside the innermost one (no test is open)."""

    def close_scope(self, report: bool) -> list[Outcome]:
        """Close the innermost scope, as end_class does."""

    def begin_fixture(self, depth: int) -> None:
        """Charge what follows to the open scope ``depth`` (0: outermost)."""

    def end_fixture(self, depth: int) -> None:
        """Let the scopes inside ``depth`` see what its fixture wrote."""


@dataclass(frozen=True)
class Unsupported:
    """A cache alias isolatedtest cannot isolate: why, and what that leaves out."""

    alias: str
    backend: str
    reason: str = "which isolatedtest has no strategy for"
    effect: str = (
        "what this backend stores itself is NOT isolated between tests (what it "
        "keeps in a LocMemCache or another isolated alias is)"
    )


def is_backend(cls: type, names: Collection[str]) -> bool:
    """Return whether ``cls`` is, or subclasses, a backend named by dotted path."""
    return any(
        f"{base.__module__}.{base.__qualname__}" in names for base in cls.__mro__
    )


def backend_class(params: dict) -> type | None:
    """Return the class named by a CACHES entry's BACKEND, or None."""
    try:
        found = import_string(params.get("BACKEND", ""))
    except ImportError:
        return None
    return found if isinstance(found, type) else None


def build_stores(
    config: Config, reset: bool, run_id: str
) -> tuple[list[Store], list[Unsupported]]:
    """Return the stores covering every cache, and the aliases none covers."""
    from isolatedtest.stores.attributes import AttributeStore
    from isolatedtest.stores.locmem import LocMemStore
    from isolatedtest.stores.shared import SharedStore, is_shared

    unsupported = []
    redis = False
    for alias, params in settings.CACHES.items():
        cls = backend_class(params)
        redis = redis or (cls is not None and is_redis(cls))
        if alias in config.exclude_aliases:
            continue
        backend = params.get("BACKEND", "")
        if cls is None or not (
            issubclass(cls, (LocMemCache, DummyCache))
            or is_shared(cls)
            or is_redis(cls)
        ):
            unsupported.append(Unsupported(alias, backend))
            continue
        partial = partial_cover(cls)
        if partial:
            effect = "what they keep elsewhere is NOT isolated between tests"
            unsupported.append(Unsupported(alias, backend, partial, effect))
    stores: list[Store] = [
        LocMemStore(config, reset),
        SharedStore(config, reset, run_id),
    ]
    if redis:
        from isolatedtest.stores.redis import RedisStore

        store = RedisStore(config, reset, run_id)
        unsupported += store.unsupported
        stores.append(store)
    stores.append(AttributeStore(config, reset))
    return stores, unsupported


# Where the backends isolatedtest covers come from.
BACKEND_LIBRARIES = ("django", "django_redis")
# What a cache stores, through Django's cache interface.
DATA_METHODS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "decr",
    "set_many",
    "delete_many",
    "clear",
    "get_or_set",
    "incr_version",
    "decr_version",
)


def partial_cover(cls: type) -> str:
    """Say why a subclass of a covered backend is covered only in part, or "".

    A subclass that overrides a data method without calling the backend's
    own (``super()``) may keep what it stores somewhere isolatedtest does not
    see: a dict of its own, thread-local storage, another client.
    """
    names = {*DATA_METHODS, *(f"a{name}" for name in DATA_METHODS)}
    found: list[str] = []
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] in BACKEND_LIBRARIES:
            base = klass.__qualname__
            break
        for name in sorted(names & klass.__dict__.keys()):
            if name not in found and not _calls_super(klass.__dict__[name]):
                found.append(name)
    if not found:
        return ""
    return f"a {base} whose {', '.join(found)} do not call {base}'s own"


def _calls_super(function) -> bool:
    """Whether ``function`` (or a function inside it) calls ``super()``."""
    function = inspect.unwrap(getattr(function, "__func__", function))
    code = getattr(function, "__code__", None)
    if code is None:
        return True  # not plain Python: assume it is a wrapper
    codes = [code]
    while codes:
        code = codes.pop()
        if "super" in code.co_names:
            return True
        codes += [const for const in code.co_consts if inspect.iscode(const)]
    return False


REDIS_BACKENDS = frozenset(
    {"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"}
)


def is_redis(cls: type) -> bool:
    """Return whether ``cls`` is a Redis backend (isolated by ``redis.py``)."""
    return is_backend(cls, REDIS_BACKENDS)
