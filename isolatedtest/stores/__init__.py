"""Adapters between the isolation engine and the places cache data lives.

Each adapter answers the same questions about its data: take a snapshot,
list what changed since one (the leak), and put one back. Adding a kind of
backend means adding a module here and a line to ``build_stores``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.module_loading import import_string

from isolatedtest.conf import Config


@dataclass(frozen=True)
class Leak:
    """Keys one cache alias kept after the scope that wrote them ended."""

    alias: str
    backend: str
    location: str
    keys: tuple[str, ...]


class Store(Protocol):
    """The data of one kind of backend, as the engine sees it."""

    def snapshot(self) -> object:
        """Return an opaque token for the current state."""

    def leaks(self, snapshot: object) -> list[Leak]:
        """Return what was written since ``snapshot`` and is still there."""

    def rollback(self, snapshot: object, report: bool = True) -> list[Leak]:
        """Put ``snapshot`` back, in place; return what it undid, as leaks."""

    def start_worker(self) -> None:
        """Forget data inherited from the parent process (forked workers)."""


@dataclass(frozen=True)
class Unsupported:
    """A cache alias isolatedtest has no adapter for."""

    alias: str
    backend: str


def build_stores(config: Config) -> tuple[list[Store], list[Unsupported]]:
    """Return the stores covering settings.CACHES and the aliases none covers."""
    from isolatedtest.stores.locmem import LocMemStore

    unsupported = []
    for alias, params in settings.CACHES.items():
        if alias in config.exclude_aliases:
            continue
        backend = params.get("BACKEND", "")
        try:
            backend_class = import_string(backend)
        except ImportError:
            backend_class = None
        if not (
            isinstance(backend_class, type)
            and issubclass(backend_class, (LocMemCache, DummyCache))
        ):
            unsupported.append(Unsupported(alias, backend))
    return [LocMemStore(config)], unsupported
