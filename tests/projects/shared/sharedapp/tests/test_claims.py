"""Classes that all use the same keys, as parallel workers' tests do.

Each class expects to be the first to claim "claim" and to count "hits"
from zero. Under plain `test` on a shared server only the first class to
run can pass; isolated, every class sees a fresh cache.
"""

from django.core.cache import cache
from django.test import SimpleTestCase


class ClaimMixin:
    databases = "__all__"  # a DatabaseCache needs the database

    def test_claims_the_shared_key(self):
        self.assertTrue(cache.add("claim", type(self).__name__))
        self.assertEqual(cache.get("claim"), type(self).__name__)

    def test_counts_hits_from_zero(self):
        self.assertEqual(cache.get_or_set("hits", 0), 0)
        self.assertEqual(cache.incr("hits"), 1)
        cache.set_many({"a": 1, "b": 2})
        self.assertEqual(cache.get_many(["a", "b"]), {"a": 1, "b": 2})


class ClaimA(ClaimMixin, SimpleTestCase):
    pass


class ClaimB(ClaimMixin, SimpleTestCase):
    pass


class ClaimC(ClaimMixin, SimpleTestCase):
    pass


class ClaimD(ClaimMixin, SimpleTestCase):
    pass
