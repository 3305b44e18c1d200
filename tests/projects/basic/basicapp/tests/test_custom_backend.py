"""Writes to a LocMemCache subclass, configured by the test through
FIXTURE_EXTRA_CACHES as alias 'custom' (KEY_PREFIX 'cp')."""

from django.core.cache import caches
from django.test import SimpleTestCase


class CustomBackendTests(SimpleTestCase):
    def test_1_writes_to_the_subclass_alias(self):
        caches["custom"].set("custom:key", 1)

    def test_2_does_not_see_the_earlier_write(self):
        self.assertIsNone(caches["custom"].get("custom:key"))
