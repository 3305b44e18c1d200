"""Class setup and teardown that raise after writing to the cache.

The writes of a setUpClass that fails, and those of a class whose
tearDownClass fails, must not reach the next class.
"""

from django.core.cache import cache
from django.test import SimpleTestCase

from compatapp.tests.checks import Checks


class A1SetUpClassErrorTests(Checks, SimpleTestCase):
    kind = "errors"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("errors:partial", "written before setUpClass failed")
        raise RuntimeError("setUpClass fails after writing")

    def test_never_runs(self):
        raise AssertionError("a test of a class whose setup failed must not run")


class A2AfterSetUpClassErrorTests(Checks, SimpleTestCase):
    kind = "errors"
    has_setup = False

    def test_sees_nothing_of_the_failed_setup(self):
        self.assert_sees_only()


class B1TearDownClassErrorTests(Checks, SimpleTestCase):
    kind = "errors"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    @classmethod
    def tearDownClass(cls):
        cache.set("errors:c", "written before tearDownClass failed")
        super().tearDownClass()
        raise RuntimeError("tearDownClass fails after writing")

    def test_a(self):
        self.write_and_check("a")


class B2AfterTearDownClassErrorTests(Checks, SimpleTestCase):
    kind = "errors"
    has_setup = False

    def test_sees_nothing_of_the_failed_class(self):
        self.assert_sees_only()
