"""Tests that change a shared cache object itself and leave it changed.

Keys written through a rebound key function or prefix stay in the run's
namespace; the next test sees the object as configured.
"""

from django.conf import settings
from django.core.cache import cache
from django.test import SimpleTestCase


def raw_key(key, key_prefix, version):
    return f"raw-{key_prefix}-{key}"


class Changes(SimpleTestCase):
    databases = "__all__"  # a DatabaseCache needs the database

    def test_a_rebinds_the_key_function_and_prefix(self):
        cache.key_func = raw_key
        cache.key_prefix = "elsewhere"
        cache.set("written", 1)
        self.assertEqual(cache.get("written"), 1)

    def test_b_sees_the_object_as_configured(self):
        self.assertEqual(cache.key_prefix, settings.CACHES["default"]["KEY_PREFIX"])
        self.assertNotIn("raw-", cache.make_key("written"))
        self.assertIsNone(cache.get("written"))
