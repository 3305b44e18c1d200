"""Tests that read what others leave behind, and some that only seem to.

Expected dependencies under isolation (reader <- writer, key, access):
- ReadLater.test_counts_visits <- LeftBehind.test_leaves_visits, 'visits', incr
- ReadLater.test_checks_the_flag <- LeftBehind.test_leaves_a_flag, 'flag', has_key
- ReadLater.test_reads_many <- LeftBehind.test_leaves_visits, 'visits', get_many
- ReadLater.test_claims_the_slot <- LeftBehind.test_leaves_a_slot, 'slot', add
- ReadLater.test_touches_the_session
      <- LeftBehind.test_leaves_a_session, 'session', touch
- ClassState.test_reads_the_class_config
      <- ClassState.test_changes_the_config, 'config', get
Not dependencies: a leftover equal to what the reader writes itself ('same'),
reads after the reader's own write or clear(), the class's own state, and
PERSISTENT_KEYS ('token:*', set by the pytest tests).
"""

from django.core.cache import cache
from django.test import SimpleTestCase, TestCase


class LeftBehind(SimpleTestCase):
    def test_leaves_visits(self):
        cache.set("visits", 5)

    def test_leaves_a_flag(self):
        cache.set("flag", True)

    def test_leaves_a_slot(self):
        cache.set("slot", "taken")

    def test_leaves_a_session(self):
        cache.set("session", "alice")

    def test_leaves_the_same_value(self):
        cache.set("same", 1)

    def test_leaves_a_token(self):
        cache.set("token:api", "secret")


class ReadLater(SimpleTestCase):
    def test_counts_visits(self):
        with self.assertRaises(ValueError):
            cache.incr("visits")

    def test_checks_the_flag(self):
        self.assertFalse(cache.has_key("flag"))

    def test_reads_many(self):
        self.assertEqual(cache.get_many(["visits"]), {})

    def test_claims_the_slot(self):
        self.assertTrue(cache.add("slot", "mine"))

    def test_touches_the_session(self):
        self.assertFalse(cache.touch("session", 60))

    def test_writes_the_same_value(self):
        self.assertEqual(cache.get_or_set("same", 1), 1)

    def test_reads_after_its_own_write(self):
        cache.set("visits", 1)
        self.assertEqual(cache.get("visits"), 1)
        cache.delete("visits")

    def test_reads_after_clear(self):
        cache.clear()
        self.assertIsNone(cache.get("flag"))

    def test_reads_a_persistent_key(self):
        self.assertIn(cache.get("token:api"), (None, "secret"))


class ClassState(TestCase):
    @classmethod
    def setUpTestData(cls):
        cache.set("config", "EUR")

    def test_changes_the_config(self):
        cache.set("config", "GBP")

    def test_reads_the_class_config(self):
        self.assertEqual(cache.get("config"), "EUR")

    def test_writes_the_class_value_again(self):
        cache.set("config", "EUR")
