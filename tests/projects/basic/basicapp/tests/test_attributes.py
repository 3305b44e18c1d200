"""Tests that change cache objects themselves, and some that do not put them back.

Leaks (attributes of the cache object, not keys):
- test Changes.test_a_replaces_a_method: 'default' get
- test Changes.test_b_rebinds_the_key_prefix: 'other' key_prefix
- class Changes: 'default' feature_flag (set in setUpClass, never removed)
test_c and test_d fail under plain `test` in this order.
"""

from unittest import mock

from django.core.cache import cache, caches
from django.test import SimpleTestCase

CAPTURED = caches["default"]  # as libraries capture a cache at import time


class Changes(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.feature_flag = "on"

    def test_a_replaces_a_method(self):
        cache.get = lambda *args, **kwargs: "stub"
        self.assertEqual(cache.get("anything"), "stub")

    def test_b_rebinds_the_key_prefix(self):
        caches["other"].key_prefix = "changed"

    def test_c_sees_the_cache_objects_as_configured(self):
        cache.set("key", "value")
        self.assertEqual(cache.get("key"), "value")
        cache.delete("key")
        self.assertEqual(caches["other"].key_prefix, "pre")
        self.assertEqual(cache.feature_flag, "on")

    def test_d_the_objects_are_the_same_ones(self):
        self.assertIs(caches["default"], CAPTURED)
        self.assertNotIn("get", vars(CAPTURED))

    def test_e_patches_and_puts_back(self):
        with mock.patch.object(cache, "get", return_value=1):
            self.assertEqual(cache.get("x"), 1)
        with mock.patch.object(caches["other"], "key_prefix", "temporary"):
            self.assertEqual(caches["other"].make_key("k"), "temporary:1:k")


class Later(SimpleTestCase):
    def test_the_class_change_is_gone(self):
        self.assertFalse(hasattr(cache, "feature_flag"))
