"""Django TestCase classes, collected by pytest: setUpClass state, per-test writes."""

from django.core.cache import cache
from django.test import SimpleTestCase


class CachedTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("unittest-class", 1)

    def test_a(self):
        self.assertEqual(cache.get("unittest-class"), 1)
        self.assertIsNone(cache.get("unittest"))
        cache.set("unittest", "a")
        cache.set("unittest-class", 2)

    def test_b(self):
        self.assertEqual(cache.get("unittest-class"), 1)
        self.assertIsNone(cache.get("unittest"))
        cache.set("unittest", "b")
