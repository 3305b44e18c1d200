"""Writes to a LocMemCache subclass, which the pytest tests configure through
FIXTURE_EXTRA_CACHES as alias 'custom' (basicapp.backends.CountingLocMemCache,
LOCATION 'basic-custom', KEY_PREFIX 'cp').

IsolatedSubclassTests passes when the alias is isolated, ExcludedSubclassTests
when ISOLATEDTEST = {"EXCLUDE_ALIASES": ["custom"]} leaves it alone.
"""

from django.core.cache import caches
from django.test import SimpleTestCase


class IsolatedSubclassTests(SimpleTestCase):
    def test_1_writes(self):
        caches["custom"].set("custom:isolated", 1)

    def test_2_does_not_see_the_earlier_write(self):
        self.assertIsNone(caches["custom"].get("custom:isolated"))


class ExcludedSubclassTests(SimpleTestCase):
    def test_1_writes(self):
        caches["custom"].set("custom:excluded", 1)

    def test_2_sees_the_earlier_write(self):
        self.assertEqual(caches["custom"].get("custom:excluded"), 1)


class WrappingBackendTests(SimpleTestCase):
    """Run with alias 'wrapping' (basicapp.backends.WrappingCache, LOCATION
    'basic-wrapping'), whose data lives in LocMemCache 'basic-wrapping-inner'."""

    def test_1_writes(self):
        caches["wrapping"].set("wrapped", 1)

    def test_2_does_not_see_the_earlier_write(self):
        self.assertIsNone(caches["wrapping"].get("wrapped"))
