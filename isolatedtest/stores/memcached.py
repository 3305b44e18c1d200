"""Memcached: delete a scope's keys without waiting for a reply per key.

pymemcache's HashClient deletes keys one at a time, each a round trip; with
``noreply`` the requests go out back to back and nothing waits, so ending a
test costs no round trip however many keys it wrote.
"""

from __future__ import annotations

PYMEMCACHE_BACKEND = "django.core.cache.backends.memcached.PyMemcacheCache"


def is_pymemcache(cls: type) -> bool:
    return any(
        f"{base.__module__}.{base.__qualname__}" == PYMEMCACHE_BACKEND
        for base in cls.__mro__
    )


def delete_without_reply(instance, keys: list[str], version: int) -> None:
    """Delete ``keys`` (as code names them) in the instance's current namespace."""
    made = [instance.make_and_validate_key(key, version=version) for key in keys]
    instance._cache.delete_many(made, noreply=True)
