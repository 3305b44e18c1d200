"""Shared servers, for ``tests/benchmark.py``: round trips per test, and server size.

Run as ``python tests/bench_servers.py [--unrelated K] [--rounds R]``; prints
one JSON object on stdout, its progress on stderr.

It starts a ``redis-server`` and a ``memcached`` of its own on free loopback
ports (``servers.py``, as the test suite does), twice: one pair left empty,
one holding K unrelated keys (default 1,000,000) where the caches keep
theirs. For each backend whose client library is importable (Django's
RedisCache, django-redis, PyMemcacheCache) an engine is driven in-process
around real cache operations (``engines.Run``), one alias at a time:

- round trips per kind of test, counted on the sockets
  (``roundtrips.counted_round_trips``), against the same operations on a
  cache no engine adopted (on Redis, another client's: "localhost");
- the first command of a run (on Redis: reading the key specifications and
  sweeping dead runs' namespaces), round trips and time;
- the time per test of a test writing 3 keys, on the empty and the full
  server (medians of R rounds): nothing may grow with the server's size.

PyLibMCCache is not counted: libmemcached talks to the server from C, one
request per key. Nothing here asserts; it stops with an error if isolation
gives a wrong answer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

BACKENDS = {
    "Django RedisCache": ("django.core.cache.backends.redis.RedisCache", "redis"),
    "django-redis": ("django_redis.cache.RedisCache", "django_redis"),
    "PyMemcacheCache": (
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "pymemcache",
    ),
}
REDIS_DBS = {"Django RedisCache": 1, "django-redis": 2}  # each its own database
CLASS_KEYS = 5
TIMED_TESTS = 500
KINDS = {
    "none": "does not touch the cache",
    "read": "reads 1 key",
    "write3": "writes 3 keys",
    "class": f"class setup wrote {CLASS_KEYS} keys; reads 1, writes 1",
    "raw": "a hash and a set through the raw client's pipeline (Redis)",
}


def log(message: str) -> None:
    print(f"  servers: {message}", file=sys.stderr, flush=True)


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise RuntimeError(f"isolation gave a wrong answer: {what}")


def _write3(cache) -> None:
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("c", 3)


def _class_test(cache) -> None:
    _check(cache.get("class-0") == 0, "the class's key is not visible")
    cache.set("x", 1)


def _raw(cache) -> None:
    client = (
        cache.client.get_client(write=True)
        if hasattr(cache, "client")
        else cache._cache.get_client(write=True)
    )
    client.pipeline().hset("h", "f", "v").sadd("s", "m").execute()


BODIES = {
    "none": lambda cache: None,
    "read": lambda cache: cache.get("k"),
    "write3": _write3,
    "class": _class_test,
    "raw": _raw,
}


def fill(kind: str, server, count: int) -> None:
    """Put ``count`` unrelated keys where the caches keep theirs."""
    if kind == "redis":
        import redis

        for db in REDIS_DBS.values():
            client = redis.Redis(host=server.host, port=server.port, db=db)
            for first in range(0, count, 10_000):
                batch = range(first, min(count, first + 10_000))
                client.mset({f"unrelated:{n}": n for n in batch})
            client.close()
        return
    from pymemcache.client.base import Client

    client = Client((server.host, server.port))
    for first in range(0, count, 10_000):
        batch = range(first, min(count, first + 10_000))
        client.set_many({f"unrelated:{n}": b"x" for n in batch}, noreply=True)
    client.get("unrelated:0")  # answered after everything sent before it
    client.close()


def params(label: str, server, host: str = "127.0.0.1") -> dict:
    path, _ = BACKENDS[label]
    if "redis" in path.lower():
        location = f"redis://{host}:{server.port}/{REDIS_DBS[label]}"
    else:
        location = f"{host}:{server.port}"
    return {"BACKEND": path, "LOCATION": location, "KEY_PREFIX": "bench"}


def measure(label: str, name: str, rounds: int) -> dict:
    """Round trips, the run's start and the time per test, on one server."""
    from django.core.cache import caches
    from engines import Run
    from roundtrips import counted_round_trips

    from isolatedtest.conf import Config, run_id
    from isolatedtest.resources.shared import SharedResource

    def trips(action) -> int:
        with counted_round_trips() as found:
            action()
        return len(found)

    alias = f"{label}|{name}"
    instance = type(caches).create_connection(caches, alias)
    other = type(caches).create_connection(caches, f"{alias}|plain")
    instance.get("connect")  # the handshake is not the engine's
    other.get("connect")
    setattr(caches._connections, alias, instance)
    config = Config(exclude_aliases=frozenset(caches.settings) - {alias})
    redis = "redis" in BACKENDS[label][0].lower()
    if redis:
        from isolatedtest.resources.redis import RedisResource

        run = Run(RedisResource(config, True, run_id()))
    else:
        run = Run(SharedResource(config, True, run_id()))
    start = time.perf_counter()
    first = {"trips": trips(lambda: instance.get("first"))}
    first["ms"] = (time.perf_counter() - start) * 1000

    def test(body) -> None:
        run.start_test()
        body(instance)
        run.end_test()

    counts = {}
    for kind in [kind for kind in BODIES if redis or kind != "raw"]:
        body = BODIES[kind]
        if kind == "class":
            run.end_class()
            for n in range(CLASS_KEYS):  # what setUpTestData writes
                instance.set(f"class-{n}", n)
                other.set(f"class-{n}", n)
        own = trips(lambda body=body: body(other))
        test(body)  # warm-up
        counts[kind] = (own, trips(lambda body=body: test(body)))
        if kind == "class":
            run.end_class()
    test(lambda cache: _check(cache.get("a") is None, "a test's write"))
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(TIMED_TESTS):
            test(_write3)
        samples.append((time.perf_counter() - start) / TIMED_TESTS * 1e6)
    run.end_class()
    run.end_run()
    return {
        "round_trips": counts,
        "run_start": first,
        "us_per_test": statistics.median(samples),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unrelated", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    from servers import start_memcached, start_redis, stop

    available = {}
    for label, (_, module) in BACKENDS.items():
        try:
            __import__(module)
            available[label] = BACKENDS[label]
        except ImportError:
            log(f"{label}: {module} is not importable, left out")
    work = Path(tempfile.mkdtemp(prefix="isolatedtest-bench-"))
    started = {}
    try:
        for kind in ("redis", "memcached"):
            for name in ("empty", "full"):
                if kind == "redis":
                    (work / name).mkdir()
                    server = start_redis(work / name)
                else:
                    server = start_memcached()
                started[kind, name] = server
                if name == "full":
                    fill(kind, server, args.unrelated)
                log(f"{kind} ({name}) on {server.address}")
        caches = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
        for label in available:
            kind = "redis" if "redis" in BACKENDS[label][0].lower() else "memcached"
            for name in ("empty", "full"):
                server = started[kind, name]
                caches[f"{label}|{name}"] = params(label, server)
                caches[f"{label}|{name}|plain"] = params(label, server, "localhost")
        settings.configure(CACHES=caches, USE_TZ=True)
        result = {"unrelated": args.unrelated, "kinds": KINDS, "backends": {}}
        for label in available:
            result["backends"][label] = {
                name: measure(label, name, args.rounds) for name in ("empty", "full")
            }
            log(f"{label} done")
    finally:
        for server in started.values():
            stop(server)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
