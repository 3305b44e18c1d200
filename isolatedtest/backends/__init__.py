"""The cache backends on shared servers, one module each, and what covers what.

A module for a backend isolated by key namespaces (``memcached``,
``filebased``, ``database``) declares:

- ``PATHS``: the dotted paths of its backend classes;
- ``store_of(params)``: what identifies the store an alias keeps its data
  in (a set of servers, a directory, a table): aliases on one store share
  one namespace;
- ``Cache``: the overrides an adopted instance gets (a subclass of
  ``isolatedtest.resources.overrides.NamespacedCache``): culling, bulk
  deletes, errors it swallows, its API beyond Django's.

Adding such a backend is adding its module and its name to ``NAMESPACED``.
Redis (``redis``) is isolated at the connection instead, by a resource of
its own. LocMemCache and DummyCache live in the process
(``isolatedtest.resources.locmem``).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Collection
from functools import cache
from types import ModuleType

from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.module_loading import import_string

NAMESPACED = ("memcached", "filebased", "database")
REDIS_PATHS = frozenset(
    {"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"}
)
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


@cache
def namespaced(cls: type) -> ModuleType | None:
    """Return the module of the namespaced backend ``cls`` is, or None."""
    for name in NAMESPACED:
        module = importlib.import_module(f"{__name__}.{name}")
        if is_backend(cls, module.PATHS):
            return module
    return None


def is_redis(cls: type) -> bool:
    """Return whether ``cls`` is a Redis backend (``resources/redis.py``)."""
    return is_backend(cls, REDIS_PATHS)


def covered(cls: type) -> bool:
    """Whether some strategy covers ``cls`` (maybe in part: ``partial_cover``)."""
    in_process = issubclass(cls, (LocMemCache, DummyCache))
    return in_process or is_redis(cls) or namespaced(cls) is not None


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


def explain_unreachable(
    error: Exception, alias: str, backend: str, location: str
) -> None:
    """Name the alias in a connection error's traceback (a note: Python 3.11+)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if names.isdisjoint({"ConnectionError", "TimeoutError", "OSError"}):
        return
    if hasattr(error, "add_note"):
        error.add_note(
            f"isolatedtest: cache alias {alias!r} ({backend} at {location!r}) could "
            "not be reached. Start the server, or leave the alias out with "
            "ISOLATEDTEST['EXCLUDE_ALIASES']."
        )
