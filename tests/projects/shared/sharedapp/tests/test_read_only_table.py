"""A cache table that refuses deletions: every reset after a write fails.

Run with a DatabaseCache as "default" (table isolatedtest_cache). Both tests
leave a key behind that isolatedtest cannot delete: the failure is reported
once for the alias, with how often it happened.
"""

from unittest import skipUnless

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import TransactionTestCase

DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"


@skipUnless(settings.CACHES["default"]["BACKEND"] == DATABASE_CACHE, "needs the table")
class ReadOnlyTable(TransactionTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TRIGGER refuse_deletions BEFORE DELETE ON isolatedtest_cache "
                "BEGIN SELECT RAISE(ABORT, 'deletions are refused'); END"
            )

    @classmethod
    def tearDownClass(cls):
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_deletions")
        super().tearDownClass()

    def test_a_leaves_a_key(self):
        cache.set("kept:a", 1)

    def test_b_leaves_a_key(self):
        cache.set("kept:b", 1)
