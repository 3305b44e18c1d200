"""A Memcached client reached through the cache object: its writes bypass isolation.

Run with a Memcached alias; isolatedtest names what test_writes_past_the_cache
writes through ``cache._cache``, and --strict fails that test alone.
"""

import unittest

from django.conf import settings
from django.core.cache import cache
from django.test import SimpleTestCase

MEMCACHED = "memcached" in settings.CACHES["default"]["BACKEND"].lower()


@unittest.skipUnless(MEMCACHED, "a Memcached client")
class RawClient(SimpleTestCase):
    def test_writes_past_the_cache(self):
        cache._cache.set("raw-token", b"1")
        cache._cache.delete("raw-token")

    def test_writes_through_the_cache(self):
        cache.set("token", 1)
        cache.delete("token")
