"""Two tests that pass only when neither sees the other's cache write."""

from django.core.cache import cache
from django.test import SimpleTestCase


class PairTests(SimpleTestCase):
    def test_left(self):
        cache.set("runners:left", 1)
        self.assertIsNone(cache.get("runners:right"))

    def test_right(self):
        cache.set("runners:right", 1)
        self.assertIsNone(cache.get("runners:left"))
