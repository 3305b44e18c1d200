"""Tests that make test options visible: -k, --tag, --buffer."""

from django.core.cache import cache
from django.test import SimpleTestCase, tag


class OptionTests(SimpleTestCase):
    @tag("slow")
    def test_tagged_slow(self):
        cache.set("options:slow", 1)

    def test_prints_noise(self):
        print("NOISE-FROM-A-PASSING-TEST")

    def test_plain(self):
        self.assertIsNone(cache.get("options:slow"))
