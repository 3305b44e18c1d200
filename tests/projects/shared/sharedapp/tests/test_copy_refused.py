"""Run as a Redis user the server refuses COPY: a test cannot see its class's key.

isolatedtest copies what a class set up into each test's namespace with
COPY; where the server refuses it, the test misses the key, and the run
must say why (tests/test_faults_reported.py).
"""

from django.core.cache import cache
from django.test import SimpleTestCase


class ClassKeyTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("class-key", 1)
        cls.addClassCleanup(cache.delete, "class-key")

    def test_reads_the_class_key(self):
        self.assertEqual(cache.get("class-key"), 1)
