"""Round trips isolatedtest adds per test on Redis and Memcached, counted.

The engine is driven in-process around real cache operations on servers this
suite started; every request a client sends to the server is counted.
"""

from __future__ import annotations

import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(CACHES={})

from django.core.cache import caches
from django.test import override_settings
from engines import Run
from roundtrips import counted_round_trips

from isolatedtest.conf import Config
from isolatedtest.resources import build


@pytest.fixture(params=["redis", "pymemcache"])
def isolated_cache(request):
    """Yield (engine, cache) for a shared cache, started as a run would."""
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        params = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{server.address}/3",
        }
    else:
        server = request.getfixturevalue("memcached_server")
        params = {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": server.address,
        }
    with override_settings(CACHES={"default": {**params, "KEY_PREFIX": "rt"}}):
        resources, _ = build(Config(), True, "round-trips", dependencies=False)
        engine = Run(*resources)
        try:
            cache = caches["default"]
            cache.get("connect")  # first use: connect (on Redis: read its commands)
            yield engine, cache
            engine.end_class()
            engine.end_run()
        finally:
            del caches.create_connection  # back to the handler's own method


def test_a_test_that_does_not_touch_the_cache_costs_no_round_trip(isolated_cache):
    engine, _ = isolated_cache
    with counted_round_trips() as trips:
        engine.start_test()
        engine.end_test()
    assert trips == []


def test_a_test_that_writes_costs_at_most_one_extra_round_trip(isolated_cache):
    engine, cache = isolated_cache
    with counted_round_trips() as trips:
        engine.start_test()
        cache.set("a", 1)
        cache.get("a")
        engine.end_test()
    assert 2 <= len(trips) <= 2 + 1


def test_a_test_of_a_class_with_state_costs_at_most_two_extra(isolated_cache):
    engine, cache = isolated_cache
    engine.end_class()
    cache.set("class-key", 1)  # what setUpTestData would write
    with counted_round_trips() as trips:
        engine.start_test()
        assert cache.get("class-key") == 1
        cache.set("b", 2)
        engine.end_test()
    assert len(trips) <= 2 + 2


def test_the_cost_does_not_grow_with_unrelated_keys(isolated_cache):
    engine, cache = isolated_cache

    def one_test() -> int:
        with counted_round_trips() as trips:
            engine.start_test()
            cache.set("a", 1)
            cache.incr("a")
            engine.end_test()
        return len(trips)

    before = one_test()
    if any("redis" in cls.__module__ for cls in type(cache).__mro__):
        import redis

        # Someone else's client ("localhost", not the alias's 127.0.0.1): its
        # connections are not the cache's, so isolatedtest leaves them alone.
        kwargs = cache._cache.get_client().connection_pool.connection_kwargs
        client = redis.Redis(host="localhost", port=kwargs["port"], db=kwargs["db"])
        client.mset({f"unrelated:{n}": n for n in range(20_000)})
    else:
        cache._cache.set_many({f"unrelated:{n}": n for n in range(2_000)})
    assert one_test() == before
