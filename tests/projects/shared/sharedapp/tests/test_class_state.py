"""Class-level state on a shared server: seen by each test, undone after it."""

from django.core.cache import cache
from django.test import SimpleTestCase, TestCase


class ConfiguredShop(TestCase):
    @classmethod
    def setUpTestData(cls):
        cache.set("config", {"currency": "EUR"})
        cache.set("visits", 10)

    def test_a_changes_everything(self):
        self.assertEqual(cache.get("config"), {"currency": "EUR"})
        self.assertEqual(cache.incr("visits"), 11)
        cache.delete("config")
        cache.set("extra", 1)
        cache.touch("visits", 60)

    def test_b_sees_the_class_state_again(self):
        self.assertEqual(cache.get("config"), {"currency": "EUR"})
        self.assertEqual(cache.get("visits"), 10)
        self.assertIsNone(cache.get("extra"))

    def test_c_clear_only_empties_this_test(self):
        cache.clear()
        self.assertIsNone(cache.get("config"))
        cache.set("after-clear", 1)

    def test_d_class_state_survives_a_clear(self):
        self.assertEqual(cache.get("config"), {"currency": "EUR"})
        self.assertIsNone(cache.get("after-clear"))


class PlainShop(SimpleTestCase):
    databases = "__all__"  # a DatabaseCache needs the database

    def test_sees_no_other_class_state(self):
        for key in ("config", "visits", "extra", "after-clear", "claim", "hits"):
            self.assertIsNone(cache.get(key), key)
