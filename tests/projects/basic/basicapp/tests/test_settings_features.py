"""Tests for the ISOLATEDTEST setting; each class is run with its own setting.

ExcludedAliasTests passes with ISOLATEDTEST = {"EXCLUDE_ALIASES": ["other"]}.
Persistent*Tests pass with ISOLATEDTEST = {"PERSISTENT_KEYS": ["persist:*"]}.
Tests and classes run in the order of their names.
"""

from django.core.cache import cache, caches
from django.test import SimpleTestCase


class ExcludedAliasTests(SimpleTestCase):
    def test_1_writes_to_both_aliases(self):
        cache.set("setting:default", 1)
        caches["other"].set("setting:other", 1)

    def test_2_sees_only_the_excluded_alias_write(self):
        self.assertIsNone(cache.get("setting:default"))
        self.assertEqual(caches["other"].get("setting:other"), 1)


class Persistent1KeysTests(SimpleTestCase):
    def test_1_writes_persistent_and_temporary_keys(self):
        cache.set("persist:token", "t")
        cache.set("temporary", 1)
        caches["other"].set("persist:other", 2)

    def test_2_sees_only_the_persistent_keys(self):
        self.assertEqual(cache.get("persist:token"), "t")
        self.assertIsNone(cache.get("temporary"))
        self.assertEqual(caches["other"].get("persist:other"), 2)


class Persistent2LaterClassTests(SimpleTestCase):
    def test_sees_persistent_keys_of_an_earlier_class(self):
        self.assertEqual(cache.get("persist:token"), "t")
        self.assertEqual(caches["other"].get("persist:other"), 2)
