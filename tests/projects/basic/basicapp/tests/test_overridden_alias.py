"""A leak into an alias that only override_settings defines."""

from django.conf import settings
from django.core.cache import caches
from django.test import SimpleTestCase, override_settings

SESSIONS = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "basic-session-store",
}


@override_settings(CACHES={**settings.CACHES, "sessions": SESSIONS})
class OverriddenAliasTests(SimpleTestCase):
    def test_leaks_into_an_alias_settings_did_not_have(self):
        caches["sessions"].set("session:1", "data")
