"""Fail-open code on caches nobody can reach, through clients that hide errors.

The pytest tests add "quiet_redis" (django-redis, IGNORE_EXCEPTIONS) and
"quiet_memcached" (pymemcache, ignore_exc) on ports nothing listens on: every
operation quietly does nothing, so these tests write nothing and leak nothing.
"""

from unittest import skipUnless

from django.conf import settings
from django.core.cache import caches
from django.test import SimpleTestCase

QUIET = ("quiet_redis", "quiet_memcached")


@skipUnless(set(QUIET) <= set(settings.CACHES), "needs the quiet aliases")
class FailOpen(SimpleTestCase):
    def test_writes_and_counts_nothing(self):
        for alias in QUIET:
            quiet = caches[alias]
            quiet.set("visits", 1)
            quiet.set_many({"a": 1, "b": 2})
            self.assertIn(quiet.incr("visits"), (None, False), alias)
            self.assertIsNone(quiet.get("visits"), alias)

    def test_adds_nothing(self):
        for alias in QUIET:
            self.assertFalse(caches[alias].add("claim", 1), alias)
