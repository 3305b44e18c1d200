"""Every way code reaches a shared cache is isolated: other threads, objects
captured at import time, aliases created by override_settings."""

from urllib.request import urlopen

from django.conf import settings
from django.core.cache import cache, caches
from django.test import LiveServerTestCase, SimpleTestCase, override_settings

from sharedapp.captured import captured

SECOND = {
    **settings.CACHES,
    "second": {**settings.CACHES["default"], "KEY_PREFIX": "2"},
}


class LiveServer(LiveServerTestCase):
    def test_a_server_thread_writes(self):
        with urlopen(f"{self.live_server_url}/remember/first/") as response:
            self.assertEqual(response.read(), b"first")
        self.assertEqual(cache.get("from-server"), "first")

    def test_b_sees_no_server_write(self):
        self.assertIsNone(cache.get("from-server"))


class Captured(SimpleTestCase):
    databases = "__all__"  # a DatabaseCache needs the database

    def test_a_writes_through_the_captured_object(self):
        captured.set("captured", 1)
        self.assertEqual(cache.get("captured"), 1)

    def test_b_sees_nothing_of_it(self):
        self.assertIsNone(captured.get("captured"))
        self.assertIsNone(cache.get("captured"))


@override_settings(CACHES=SECOND)
class OverriddenAlias(SimpleTestCase):
    databases = "__all__"  # a DatabaseCache needs the database

    def test_a_writes_to_an_alias_settings_did_not_have(self):
        caches["second"].set("overridden", 1)
        self.assertEqual(caches["second"].get("overridden"), 1)

    def test_b_sees_nothing_of_it(self):
        self.assertIsNone(caches["second"].get("overridden"))
