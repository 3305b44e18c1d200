"""A setUpModule that writes to the cache and then raises: no test here runs."""

from django.core.cache import cache
from django.test import SimpleTestCase


def setUpModule():
    cache.set("module:setup", 1)
    raise RuntimeError("the module's setup fails")


class NeverRunTests(SimpleTestCase):
    def test_never_runs(self):
        pass
