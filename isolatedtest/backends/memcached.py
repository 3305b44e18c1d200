"""Memcached (PyMemcacheCache, PyLibMCCache): namespaced keys, and raw writes named.

A store is a set of servers. Django's PyMemcacheCache goes through
pymemcache's HashClient, which deletes keys one request (and one round
trip) at a time; with a single server, the server's own client sends all
the deletes at once and then reads the answers: one round trip. (Deleting
with ``noreply`` instead would cost no round trip, but leaves the next
request waiting about 40 ms on TCP's delayed acknowledgement, since Django
does not turn Nagle's algorithm off.) pymemcache's ``ignore_exc`` hides a
server's failures: a leak is then checked on the server before it is
reported.

The client itself (``cache._cache``: pymemcache's or pylibmc's) writes keys
as given, past the namespace. Its write methods are watched: a write from
outside the cache's own methods is the test's, and reported as not isolated.
"""

from __future__ import annotations

import re
from functools import cache, cached_property

from isolatedtest.backends import is_backend
from isolatedtest.resources.adoption import extend
from isolatedtest.resources.overrides import NamespacedCache, in_cache_call, own_io

PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"
PATHS = frozenset({PYMEMCACHE, "django.core.cache.backends.memcached.PyLibMCCache"})

# The clients' write methods, and where their keys are: first argument, or
# the keys (or mapping) in it.
SINGLE = ("set", "add", "replace", "append", "prepend", "cas", "incr", "decr")
SINGLE += ("delete", "touch", "gat", "gats")
MANY = ("set_many", "set_multi", "delete_many", "delete_multi", "add_multi")
MANY += ("incr_multi",)
_watches: dict[type, type] = {}


def store_of(params: dict) -> tuple:
    """Aliases on one set of servers share their data."""
    location = params.get("LOCATION", "")
    if isinstance(location, str):
        location = re.split(r"[;,]", location)
    servers = tuple(server.strip() for server in location if server.strip())
    return ("memcached", tuple(sorted(servers)))


class Cache(NamespacedCache):
    """A Memcached cache whose client is watched for writes from outside it."""

    @cached_property
    def _cache(self):
        client = super()._cache
        watch(self, client)
        return client

    def _isolatedtest_adopted(self) -> None:
        if "_cache" in self.__dict__:  # made before adoption
            watch(self, self.__dict__["_cache"])

    def _isolatedtest_swallows_errors(self) -> bool:
        options = getattr(self, "_options", None)
        return bool(isinstance(options, dict) and options.get("ignore_exc"))

    def _isolatedtest_delete(self, keys: list[str], version: int) -> None:
        if not _is_pymemcache(type(self)):
            super()._isolatedtest_delete(keys, version)
            return
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        servers = list(self._cache.clients.values())
        try:
            if len(servers) == 1:
                servers[0].delete_many(made, noreply=False)
            else:
                self._cache.delete_many(made, noreply=False)
        except Exception:
            # With ignore_exc the user chose to ignore a server's failures;
            # the keys expire anyway (MAX_TIMEOUT).
            if not self._cache.ignore_exc:
                raise


@cache
def _is_pymemcache(cls: type) -> bool:
    return is_backend(cls, {PYMEMCACHE})


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
