"""A setUpModule that writes and never removes it: the module's leak, not a class's."""

from django.core.cache import cache
from django.test import SimpleTestCase


def setUpModule():
    cache.set("module-leak", "left")


class FirstTests(SimpleTestCase):
    def test_sees_the_module_key(self):
        self.assertEqual(cache.get("module-leak"), "left")


class SecondTests(SimpleTestCase):
    def test_sees_the_module_key_too(self):
        self.assertEqual(cache.get("module-leak"), "left")
