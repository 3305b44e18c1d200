"""Memcached: deletions in one round trip, and writes past isolation named.

Django's PyMemcacheCache goes through pymemcache's HashClient, which deletes
keys one request (and one round trip) at a time. With a single server, the
server's own client sends all the deletes at once and then reads the
answers: one round trip. (Deleting with ``noreply`` instead would cost no
round trip, but leaves the next request waiting about 40 ms on TCP's delayed
acknowledgement, since Django does not turn Nagle's algorithm off.)

The client itself (``cache._cache``: pymemcache's or pylibmc's) writes keys
as given, past the namespace. Its write methods are watched: a write from
outside the cache's own methods is the test's, and reported as not isolated.
"""

from __future__ import annotations

from functools import cached_property

from isolatedtest.stores import is_backend
from isolatedtest.stores.adoption import extend
from isolatedtest.stores.namespaced import NamespacedCache, in_cache_call, own_io

# The clients' write methods, and where their keys are: first argument, or
# the keys (or mapping) in it.
SINGLE = ("set", "add", "replace", "append", "prepend", "cas", "incr", "decr")
SINGLE += ("delete", "touch", "gat", "gats")
MANY = ("set_many", "set_multi", "delete_many", "delete_multi", "add_multi")
MANY += ("incr_multi",)
_watches: dict[type, type] = {}

PYMEMCACHE_BACKEND = "django.core.cache.backends.memcached.PyMemcacheCache"


_pymemcache_classes: dict[type, bool] = {}


def is_pymemcache(cls: type) -> bool:
    found = _pymemcache_classes.get(cls)
    if found is None:
        found = _pymemcache_classes[cls] = is_backend(cls, {PYMEMCACHE_BACKEND})
    return found


def delete_in_one_trip(instance, keys: list[str], version: int) -> None:
    """Delete ``keys`` (as code names them) in the instance's current namespace."""
    made = [instance.make_and_validate_key(key, version=version) for key in keys]
    servers = list(instance._cache.clients.values())
    try:
        if len(servers) == 1:
            servers[0].delete_many(made, noreply=False)
        else:
            instance._cache.delete_many(made, noreply=False)
    except Exception:
        # With ignore_exc the user chose to ignore a server's failures; the
        # keys expire anyway (MAX_TIMEOUT).
        if not instance._cache.ignore_exc:
            raise


class MemcachedNamespacedCache(NamespacedCache):
    """A Memcached cache whose client is watched for writes from outside it."""

    @cached_property
    def _cache(self):
        client = super()._cache
        watch(self, client)
        return client


def watch(instance, client) -> None:
    """Report what code writes through ``client`` itself, not through ``instance``."""
    cls = type(client)
    if cls not in _watches:
        mixin = _watches[cls] = type("WatchedClient", (), {})
        for name in (*SINGLE, *MANY, "flush_all"):
            if hasattr(cls, name):
                setattr(mixin, name, _watched(name, mixin))
    extend(client, _watches[cls])
    client.__dict__["_isolatedtest_owner"] = instance


def _watched(name: str, mixin: type):
    def method(self, *args, **kwargs):
        owner = self.__dict__.get("_isolatedtest_owner")
        if owner is not None and not in_cache_call() and not own_io():
            owner._isolatedtest_namespace.raw_write(
                owner._isolatedtest_alias, _keys(name, args, kwargs)
            )
        return getattr(super(mixin, self), name)(*args, **kwargs)

    method.__name__ = name
    return method


def _keys(name: str, args: tuple, kwargs: dict) -> list:
    """The keys a client call writes (as the test's code passed them)."""
    if name == "flush_all":
        return ["* (flush_all)"]
    given = args[0] if args else next(iter(kwargs.values()), "")
    return [given] if name in SINGLE else list(given)
