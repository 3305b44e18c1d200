"""Tests that pass only if no test sees what another test wrote to the cache.

Every group is symmetric: whichever order the runner picks (default,
--reverse, any --shuffle seed), under plain ``manage.py test`` the same number
of tests fail, 5 in all, because whichever of two tests or classes runs second
sees the first one's writes. Under ``manage.py isolatedtest`` all pass, and
every test leaks one key, whatever the order: 8 tests and 2 classes, 10 keys.
"""

import unittest

from django.core.cache import cache
from django.test import SimpleTestCase, TestCase

SETUP_KEYS = ["order:setup-a", "order:setup-b"]


class PairWithinClassTests(unittest.TestCase):
    """Group 1: two tests of one class; the second to run fails under `test`."""

    def test_left_writes_then_expects_no_right(self):
        cache.set("order:left", 1)
        self.assertIsNone(cache.get("order:right"))

    def test_right_writes_then_expects_no_left(self):
        cache.set("order:right", 1)
        self.assertIsNone(cache.get("order:left"))


class SetupStateATests(TestCase):
    """Group 2: class setup state its tests see and the other class must not.

    Each test also changes its class's key, which its sibling must not see.
    Under `test` three of the four tests fail in any order.
    """

    @classmethod
    def setUpTestData(cls):
        cache.set("order:setup-a", "a")

    def assert_sees_only_own_class_state(self):
        self.assertEqual(cache.get_many(SETUP_KEYS), {"order:setup-a": "a"})
        cache.set("order:setup-a", f"changed by {self._testMethodName}")

    def test_first_sees_only_setup_a(self):
        self.assert_sees_only_own_class_state()

    def test_second_sees_only_setup_a(self):
        self.assert_sees_only_own_class_state()


class SetupStateBTests(TestCase):
    """Group 2, the other side: state from setUpClass instead of setUpTestData."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("order:setup-b", "b")

    def assert_sees_only_own_class_state(self):
        self.assertEqual(cache.get_many(SETUP_KEYS), {"order:setup-b": "b"})
        cache.set("order:setup-b", f"changed by {self._testMethodName}")

    def test_first_sees_only_setup_b(self):
        self.assert_sees_only_own_class_state()

    def test_second_sees_only_setup_b(self):
        self.assert_sees_only_own_class_state()


class CrossClassRTests(SimpleTestCase):
    """Group 3: one test per class; the class that runs second fails."""

    def test_r_writes_then_expects_no_s(self):
        cache.set("order:r", 1)
        self.assertIsNone(cache.get("order:s"))


class CrossClassSTests(SimpleTestCase):
    def test_s_writes_then_expects_no_r(self):
        cache.set("order:s", 1)
        self.assertIsNone(cache.get("order:r"))
