"""A test whose override_settings puts an excluded alias on an isolated database.

Run with ISOLATEDTEST = {"EXCLUDE_ALIASES": ["locks"]} and alias "locks" on
another database of the same server: inside the override they share one.
"""

from django.conf import settings
from django.core.cache import caches
from django.test import SimpleTestCase, override_settings


class OverrideTests(SimpleTestCase):
    def test_shares_a_database_for_a_while(self):
        shared = {**settings.CACHES, "locks": dict(settings.CACHES["default"])}
        with override_settings(CACHES=shared):
            caches["locks"].set("lock", 1)
            self.assertEqual(caches["default"].get("lock"), 1)
