"""Memcached: delete a scope's keys in one round trip where the client allows.

Django's PyMemcacheCache goes through pymemcache's HashClient, which deletes
keys one request (and one round trip) at a time. With a single server, the
server's own client sends all the deletes at once and then reads the
answers: one round trip. (Deleting with ``noreply`` instead would cost no
round trip, but leaves the next request waiting about 40 ms on TCP's delayed
acknowledgement, since Django does not turn Nagle's algorithm off.)
"""

from __future__ import annotations

from isolatedtest.stores import is_backend

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
