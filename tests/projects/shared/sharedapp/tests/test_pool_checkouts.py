"""Code that counts checkouts of the application's Redis pool sees only its own.

isolatedtest's own commands (reading what a test left, deleting it, the
liveness record, the sweep) go through connections of its own.
"""

import unittest

from django.core.cache import cache
from django.test import SimpleTestCase

from sharedapp.tests.test_redis_api import REDIS, raw_client


@unittest.skipUnless(REDIS, "a Redis client")
class PoolCheckoutTests(SimpleTestCase):
    checkouts = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        pool = raw_client().connection_pool
        get_connection = pool.get_connection

        def counted(*args, **kwargs):
            cls.checkouts += 1
            return get_connection(*args, **kwargs)

        pool.get_connection = counted
        cls.addClassCleanup(vars(pool).pop, "get_connection")

    def test_a_writes_two_keys(self):
        cache.set("a", 1)
        cache.set("b", 2)

    def test_b_counts_only_its_own_and_the_earlier_tests_checkouts(self):
        self.assertIsNone(cache.get("a"))
        self.assertEqual(type(self).checkouts, 3)
