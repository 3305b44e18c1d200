"""FLUSHDB deletes what the test saw at once, as without isolatedtest.

Run on a database of its own (FIXTURE_OWN_DATABASE set). Without isolation,
after the flush the database holds the one key the test sets next; with it,
also isolatedtest's liveness record for this process (a key of the run,
counted by INFO, never by DBSIZE).
"""

import os
import unittest

from django.core.cache import cache
from django.test import SimpleTestCase

from sharedapp.tests.test_redis_api import REDIS, raw_client


@unittest.skipUnless(REDIS and os.environ.get("FIXTURE_OWN_DATABASE"), "needs its own")
class FlushTests(SimpleTestCase):
    def test_a_flush_leaves_nothing_of_what_it_flushed(self):
        client = raw_client()
        cache.set_many({f"old:{i}": i for i in range(200)})
        client.flushdb()
        cache.set("new", 1)
        database = f"db{client.connection_pool.connection_kwargs.get('db', 0)}"
        keys = client.info("keyspace")[database]["keys"]
        self.assertLessEqual(keys, 2)
        self.assertEqual(client.dbsize(), 1)
        self.assertEqual([key.decode()[-3:] for key in client.scan_iter()], ["new"])
