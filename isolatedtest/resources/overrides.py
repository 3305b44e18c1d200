"""The overrides swapped into adopted shared-cache instances.

Every operation keeps the books of its namespace (what the current scope
wrote, deleted or cleared) and its keys are routed into the namespace by the
key function. ``clear()`` in a scope starts a fresh generation: never
``flush_all`` or an unconditioned DELETE. Each backend's module
(``isolatedtest.backends``) subclasses ``NamespacedCache`` with what is its
own: culling within the current generation, bulk deletes, the errors its
client swallows.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT

from isolatedtest.backends import explain_unreachable
from isolatedtest.resources.namespaces import (
    KEEP,
    CacheNamespace,
    capped,
    internal_tag,
)

# How deep the current thread is in a cache method: writes to a raw client
# from outside any are the test's own (memcached.py).
_calls = threading.local()


def in_cache_call() -> bool:
    return getattr(_calls, "depth", 0) > 0


def own_io() -> bool:
    """Whether the current thread does isolatedtest's own I/O."""
    return internal_tag() is not None


class NamespacedCache:
    """Keep the books, route keys into the namespace, scope clear()."""

    _isolatedtest_namespace: CacheNamespace
    _isolatedtest_alias: str

    # A data descriptor: it wins over the instance's own ``key_func``, which
    # stays the user's function (a test may rebind it; keys stay routed).
    @property
    def key_func(self):
        return RoutedKeyFunc(self, self.__dict__["key_func"])

    @key_func.setter
    def key_func(self, function) -> None:
        # Code that saved ``cache.key_func`` and puts it back (mock.patch)
        # puts back the function it routed.
        if isinstance(function, RoutedKeyFunc):
            function = function.function
        self.__dict__["key_func"] = function

    def _isolatedtest_group(self) -> tuple:
        """Return what decides the server key of (key, version) for this alias."""
        return (self.key_prefix, self.__dict__["key_func"])

    def _isolatedtest_store_gone(self, error: Exception) -> bool:
        """Return whether ``error`` means the store, and all in it, is gone."""
        return False

    def _isolatedtest_adopted(self) -> None:
        """Called once the instance is adopted (and its namespace set)."""

    def _isolatedtest_swallows_errors(self) -> bool:
        """Whether the client hides a server's failures (writes may not land)."""
        return False

    def _isolatedtest_delete(self, keys: list[str], version: int) -> None:
        """Delete ``keys`` (as code names them) in the current generation."""
        self.delete_many(keys, version=version)

    def _isolatedtest_call(self, name, *args, **kwargs):
        """Call the backend's own method; say which alias failed, if it fails."""
        _calls.depth = getattr(_calls, "depth", 0) + 1
        try:
            return getattr(super(), name)(*args, **kwargs)
        except Exception as error:
            alias = self._isolatedtest_alias
            explain_unreachable(
                error, alias, *self._isolatedtest_namespace.aliases[alias]
            )
            raise
        finally:
            _calls.depth -= 1

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
        timeout = capped(self, timeout)
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
        timeout = capped(self, timeout)
        added = self._isolatedtest_call("add", key, value, timeout, version, **kwargs)
        if added:
            namespace.wrote(self, key, version, timeout, value)
        return added

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        if not namespace.enter(self):
            return self._isolatedtest_call("set_many", data, timeout, version, **kwargs)
        timeout = capped(self, timeout)
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
        # A client that swallows errors answers None or False: nothing written.
        if value is not None and value is not False:
            namespace.wrote(self, key, version, KEEP, value)
        return value

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        if not namespace.enter(self):
            return self._isolatedtest_call("touch", key, timeout, version, **kwargs)
        timeout = capped(self, timeout)
        touched = self._isolatedtest_call("touch", key, timeout, version, **kwargs)
        if touched:
            namespace.touched(self, key, version, timeout)
        return touched

    def delete(self, key, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        ours = namespace.enter(self)
        deleted = self._isolatedtest_call("delete", key, version, **kwargs)
        if ours:
            namespace.deleted(self, key, version)
        return deleted

    def delete_many(self, keys, version=None, **kwargs):
        namespace = self._isolatedtest_namespace
        ours = namespace.enter(self)
        keys = list(keys)
        result = self._isolatedtest_call("delete_many", keys, version, **kwargs)
        if ours:
            for key in keys:
                namespace.deleted(self, key, version)
        return result

    def clear(self, *args, **kwargs):
        # Never FLUSHDB / flush_all / DELETE FROM: start a new generation.
        if self._isolatedtest_namespace.enter(self):
            self._isolatedtest_namespace.cleared()


class RoutedKeyFunc:
    """The user's key function, with the namespace added to the key prefix."""

    __slots__ = ("function", "instance")

    def __init__(self, instance, function) -> None:
        self.instance = instance
        self.function = function

    def __call__(self, key, key_prefix, version):
        prefix = self.instance._isolatedtest_namespace.prefix(key_prefix, key)
        return self.function(key, prefix, version)
