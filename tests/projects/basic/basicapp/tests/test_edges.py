"""Class setups that write and then do not complete.

Each Z...After class checks that the class before it left nothing behind.
Run one pair at a time (label the module and select with -k, or label both
classes), in default order.
"""

import unittest

from django.core.cache import cache
from django.test import SimpleTestCase


class A1SetupWritesThenSkipsTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("edge:skipping-setup", 1)
        raise unittest.SkipTest("setUpClass decided to skip this class")

    def test_never_runs(self):
        raise AssertionError("a class whose setUpClass skipped must not run")


class A2AfterSkippingSetupTests(SimpleTestCase):
    def test_does_not_see_the_skipping_setup_write(self):
        self.assertIsNone(cache.get("edge:skipping-setup"))


class B1SetupWritesThenFailsTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("edge:failing-setup", 1)
        raise RuntimeError("setUpClass failed on purpose")

    def test_never_runs(self):
        raise AssertionError("a class whose setUpClass failed must not run")


class B2AfterFailingSetupTests(SimpleTestCase):
    def test_does_not_see_the_failing_setup_write(self):
        self.assertIsNone(cache.get("edge:failing-setup"))
