"""Adapters between the isolation engine and the places cache data lives.

Each store follows the engine's scopes (run, class, test, or run, any
number of nested scopes, test) with its own
strategy: in-process data is snapshotted and restored, data on shared
servers is namespaced per scope, cache objects' own attributes are put
back. Adding a kind of backend means adding a module here and a line to
``build_stores``.
"""

from __future__ import annotations

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


Outcome = Leak | PendingLeak | ResetFailure


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
    """A cache alias isolatedtest has no adapter for."""

    alias: str
    backend: str


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
    for alias, params in settings.CACHES.items():
        if alias in config.exclude_aliases:
            continue
        cls = backend_class(params)
        if cls is None or not (
            issubclass(cls, (LocMemCache, DummyCache)) or is_shared(cls)
        ):
            unsupported.append(Unsupported(alias, params.get("BACKEND", "")))
    stores = [
        LocMemStore(config, reset),
        SharedStore(config, reset, run_id),
        AttributeStore(config, reset),
    ]
    return stores, unsupported
