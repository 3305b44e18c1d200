"""Tests that create and drop the cache table around each test, as Django's do.

Run with a DatabaseCache as "default" (table isolatedtest_cache). Nothing of
the run remains once the table is dropped: no reset can fail, nothing leaks.
"""

from unittest import skipUnless

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase

DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"


@skipUnless(settings.CACHES["default"]["BACKEND"] == DATABASE_CACHE, "needs the table")
class DroppedTable(TransactionTestCase):
    def setUp(self):
        call_command("createcachetable", verbosity=0)

    def tearDown(self):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE isolatedtest_cache")

    def test_writes_then_the_table_is_dropped(self):
        cache.set("written", 1)
        self.assertEqual(cache.get("written"), 1)

    def test_clears_then_the_table_is_dropped(self):
        cache.set("written", 2)
        cache.clear()
        self.assertIsNone(cache.get("written"))
