"""A cache class isolatedtest cannot patch: its tests run as under plain test.

Run with alias 'sealed' (basicapp.backends.SealedLocMemCache, LOCATION
'basic-sealed'); its data is isolated (a LocMemCache store), its attributes
cannot be watched.
"""

from django.core.cache import caches
from django.test import SimpleTestCase


class SealedTests(SimpleTestCase):
    def test_1_writes(self):
        caches["sealed"].set("sealed:key", 1)
        self.assertEqual(caches["sealed"].get("sealed:key"), 1)

    def test_2_does_not_see_the_earlier_write(self):
        self.assertIsNone(caches["sealed"].get("sealed:key"))
