"""Redis beyond Django's cache interface: django-redis's helpers and raw clients.

Each class's first test writes through APIs that bypass the key function
(hash and set names, the raw client) or change TTLs and versions; its second
expects to see only the class's state. Under plain `test` the second fails
(in either order); isolated, both pass.
"""

import unittest

from django.conf import settings
from django.core.cache import cache
from django.test import SimpleTestCase

BACKEND = settings.CACHES["default"]["BACKEND"]
DJANGO_REDIS = BACKEND == "django_redis.cache.RedisCache"
REDIS = "redis" in BACKEND.lower()


def raw_client():
    if DJANGO_REDIS:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    return cache._cache.get_client(write=True)


@unittest.skipUnless(DJANGO_REDIS, "django-redis's own API")
class Helpers(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("user:1", "ann", timeout=None)
        cache.hset("profile", "name", "ann")
        cache.sadd("tags", "a")

    @classmethod
    def tearDownClass(cls):
        cache.delete("user:1")
        # django-redis 7 prefixes hash names, 6 does not.
        names = ["profile", cache.make_key("profile"), cache.make_key("tags")]
        raw_client().delete(*names)
        super().tearDownClass()

    def test_a_writes_through_the_helpers(self):
        self.assertEqual(cache.keys("user:*"), ["user:1"])
        self.assertIsNone(cache.ttl("user:1"))  # set without expiry
        cache.set("user:2", "bob", timeout=None)
        self.assertEqual(sorted(cache.iter_keys("user:*")), ["user:1", "user:2"])
        cache.hset("profile", "city", "paris")
        self.assertEqual(sorted(cache.hkeys("profile")), ["city", "name"])
        self.assertEqual(cache.sadd("tags", "b"), 1)
        if hasattr(cache, "zadd"):  # django-redis 7's sorted sets
            cache.zadd("scores", {"ann": 1})
        cache.incr_version("user:1")
        self.assertEqual(cache.get("user:1", version=2), "ann")
        with cache.lock("job"):
            self.assertTrue(cache.has_key("user:2"))
        cache.expire("user:2", 100)
        self.assertGreater(cache.ttl("user:2"), 0)
        cache.persist("user:2")
        self.assertIsNone(cache.ttl("user:2"))

    def test_b_sees_only_the_class_state(self):
        self.assertEqual(cache.keys("user:*"), ["user:1"])
        self.assertEqual(cache.keys("scores"), [])
        self.assertIsNone(cache.ttl("user:1"))
        self.assertEqual(cache.get("user:1"), "ann")
        self.assertEqual(cache.hlen("profile"), 1)
        self.assertEqual(cache.smembers("tags"), {"a"})
        if hasattr(cache, "zcard"):
            self.assertEqual(cache.zcard("scores"), 0)
        self.assertIsNone(cache.get("user:1", version=2))
        self.assertEqual(cache.delete_pattern("user:*"), 1)
        cache.clear()
        self.assertEqual(cache.hlen("profile"), 0)
        self.assertEqual(cache.keys("*"), [])


@unittest.skipUnless(REDIS, "a Redis client")
class RawClient(SimpleTestCase):
    def test_a_writes_through_the_raw_client(self):
        client = raw_client()
        client.set("raw:flag", 1)
        client.hset("raw:hash", "field", "value")
        pipeline = client.pipeline()
        pipeline.incr("raw:count").expire("raw:count", 100).execute()
        self.assertEqual(client.get("raw:flag"), b"1")
        self.assertEqual(
            sorted(client.keys("raw:*")), [b"raw:count", b"raw:flag", b"raw:hash"]
        )

    def test_b_sees_nothing_raw(self):
        client = raw_client()
        self.assertIsNone(client.get("raw:flag"))
        self.assertEqual(client.keys("raw:*"), [])
        self.assertEqual(list(client.scan_iter(match="raw:*")), [])
        self.assertEqual(client.dbsize(), 0)
