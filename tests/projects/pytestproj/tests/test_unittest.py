"""Django TestCase classes, collected by pytest: setUpClass state, per-test writes."""

from django.core.cache import cache
from django.test import SimpleTestCase

from isolatedtest import no_isolation


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


@no_isolation
class ExemptTests(SimpleTestCase):
    """@no_isolation: its tests share their writes, undone when the class ends."""

    def test_writes_for_its_class(self):
        cache.set("exempt-class-key", 1)
