"""Delete what crashed or killed runs left on a Redis server.

A default run id names its host and main process. A namespace whose run ran
on this host, in a process that no longer exists, belongs to a run that died
before it could delete its keys: the next run that uses the server deletes
them. Only keys under the cache's KEY_PREFIX and isolatedtest's mark are
looked at, with SCAN MATCH; nothing else is read, and nothing is flushed.
Other backends cannot list keys; there, every key the run writes expires
within MAX_TIMEOUT instead.
"""

from __future__ import annotations

import os
import re

from django.core.cache.backends.base import default_key_func

from isolatedtest.conf import host_tag
from isolatedtest.stores import is_backend

BATCH = 10_000  # keys per SCAN step and per DEL
REDIS_BACKENDS = frozenset(
    {"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"}
)


def is_redis(cls: type) -> bool:
    """Return whether ``cls`` is a Redis backend (whose keys can be listed)."""
    return is_backend(cls, REDIS_BACKENDS)


def redis_client(instance):
    """Return the raw redis-py client behind a Redis cache instance, or None."""
    if hasattr(instance, "client") and hasattr(instance.client, "get_client"):
        return instance.client.get_client(write=True)  # django-redis
    if hasattr(instance, "_cache") and hasattr(instance._cache, "get_client"):
        return instance._cache.get_client(write=True)  # Django's RedisCache
    return None


def sweep_dead_runs(instance, user_prefix: str, mark: str) -> int:
    """Delete the keys of this host's dead runs; return how many."""
    client = redis_client(instance)
    if client is None or instance.__dict__["key_func"] is not default_key_func:
        return 0
    head = f"{user_prefix}:{mark}:" if user_prefix else f"{mark}:"
    host = host_tag()
    run = re.compile(rf"{re.escape(head)}{host}-(\d+)-[0-9a-f]+:".encode())
    pattern = _glob_escape(f"{head}{host}-") + "*"
    dead, deleted = [], 0
    for key in client.scan_iter(match=pattern, count=BATCH):
        match = run.match(key)
        if match and not _alive(int(match.group(1))):
            dead.append(key)
        if len(dead) >= BATCH:
            deleted += client.delete(*dead)
            dead = []
    if dead:
        deleted += client.delete(*dead)
    return deleted


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
