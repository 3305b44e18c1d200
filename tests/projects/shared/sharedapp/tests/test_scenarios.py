"""The same scenarios on every store: what a test sees, and what it leaves.

Each class sets "class-key" and "counter" up in setUpClass and removes them
in a class cleanup: the class leaves nothing of its own. Its test_a does one
thing; its test_z, which runs after it, checks that the class's state is
what it was. ``tests/test_scenarios.py`` holds the verdict each scope must
get: the same for every store.
"""

import unittest

from django.conf import settings
from django.core.cache import cache, caches
from django.test import SimpleTestCase

from isolatedtest import no_isolation

KEYS = {"one": 1, "two": 2, "three": 3}  # NearMaxEntriesTests'


def setUpModule():
    cache.set("module-key", "module")
    unittest.addModuleCleanup(cache.delete, "module-key")


class Scenario:
    databases = "__all__"  # a DatabaseCache needs the database

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("class-key", "class")
        cache.set("counter", 1)
        cls.addClassCleanup(cache.delete_many, ["class-key", "counter"])

    def test_z_sees_the_class_state_again(self):
        self.assertEqual(cache.get("module-key"), "module")
        self.assertEqual(cache.get("class-key"), "class")
        self.assertEqual(cache.get("counter"), 1)
        self.assertIsNone(cache.get("new-key"))
        self.assertFalse(hasattr(cache, "scenario_flag"))


class AddTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.set("new-key", "new")


class AddAndDeleteTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.set("new-key", "new")
        cache.delete("new-key")


class AttributeAddedTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.scenario_flag = True


class AttributeRestoredTests(Scenario, SimpleTestCase):
    def test_a(self):
        timeout = cache.default_timeout
        cache.default_timeout = 1
        cache.default_timeout = timeout


class ChangeTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.set("class-key", "changed")
        self.assertEqual(cache.get("class-key"), "changed")


class ChangeAndRestoreTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.set("class-key", "changed")
        cache.set("class-key", "class")


class ClassLeakTests(Scenario, SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("class-leak", "left")

    def test_a(self):
        self.assertEqual(cache.get("class-leak"), "left")


class ClearTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.clear()
        self.assertIsNone(cache.get("class-key"))
        self.assertIsNone(cache.get("module-key"))


class DeleteTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.delete("class-key")
        self.assertIsNone(cache.get("class-key"))


class ExemptTests(Scenario, SimpleTestCase):
    @no_isolation
    def test_a(self):
        cache.set("new-key", "exempt")

    def test_b_sees_what_the_exempt_test_wrote(self):
        self.assertEqual(cache.get("new-key"), "exempt")

    def test_z_sees_the_class_state_again(self):
        self.assertEqual(cache.get("class-key"), "class")
        self.assertEqual(cache.get("new-key"), "exempt")


class ExpireTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.touch("class-key", 0)
        self.assertIsNone(cache.get("class-key"))


class IncrTests(Scenario, SimpleTestCase):
    def test_a(self):
        self.assertEqual(cache.incr("counter"), 2)


class IncrMissingTests(Scenario, SimpleTestCase):
    def test_a(self):
        with self.assertRaises(ValueError):
            cache.incr("missing")


@unittest.skipUnless("small" in settings.CACHES, "a backend that culls")
class NearMaxEntriesTests(Scenario, SimpleTestCase):
    """MAX_ENTRIES is 3: what a test inherits is neither culled nor its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        caches["small"].set_many(KEYS)
        cls.addClassCleanup(caches["small"].delete_many, list(KEYS))

    def test_a(self):
        self.assertEqual(caches["small"].get_many(list(KEYS)), KEYS)

    def test_z_sees_the_class_state_again(self):
        super().test_z_sees_the_class_state_again()
        self.assertEqual(caches["small"].get_many(list(KEYS)), KEYS)


class SameValueTests(Scenario, SimpleTestCase):
    def test_a(self):
        cache.set("class-key", "class")
