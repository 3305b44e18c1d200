"""One test class per kind of test, each checking exactly what cache it sees.

Every class has a setup key (written by its class setup) and two tests that
each write a key and then assert that the cache holds exactly their class's
setup key and their own key, among every key any test here writes. Under
plain ``manage.py test`` the second test of every class fails; under
``manage.py isolatedtest`` every test passes.
"""

import unittest
from urllib.request import urlopen

from django.conf import settings
from django.core.cache import cache
from django.test import (
    LiveServerTestCase,
    SimpleTestCase,
    TestCase,
    TransactionTestCase,
    override_settings,
)

KINDS = [
    "unittest",
    "simple",
    "testcase",
    "transaction",
    "liveserver",
    "async",
    "subtest",
    "skips",
    "skippedclass",
    "expectedfailure",
    "overrideclass",
    "overridemethod",
]
PARTS = ["setup", "a", "b", "a0", "a1", "a2"]
ALL_KEYS = [f"{kind}:{part}" for kind in KINDS for part in PARTS]
SETUP_VALUE = "setup"
SERVER_VALUE = "written by the server thread"


def locmem(location):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": location,
        }
    }


class Checks:
    """Write a key, then check the whole visible cache."""

    kind = ""
    has_setup = True

    @classmethod
    def write_setup(cls):
        cache.set(f"{cls.kind}:setup", SETUP_VALUE)

    def expected(self, **written):
        expected = {f"{self.kind}:{part}": value for part, value in written.items()}
        if self.has_setup:
            expected[f"{self.kind}:setup"] = SETUP_VALUE
        return expected

    def write_and_check(self, part):
        cache.set(f"{self.kind}:{part}", part)
        self.assertEqual(cache.get_many(ALL_KEYS), self.expected(**{part: part}))

    def test_b(self):
        self.write_and_check("b")


class UnittestKindTests(Checks, unittest.TestCase):
    kind = "unittest"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def test_a(self):
        self.write_and_check("a")


class SimpleKindTests(Checks, SimpleTestCase):
    kind = "simple"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def test_a(self):
        self.write_and_check("a")


class TestCaseKindTests(Checks, TestCase):
    kind = "testcase"

    @classmethod
    def setUpTestData(cls):
        cls.write_setup()

    def test_a(self):
        self.write_and_check("a")


class TransactionKindTests(Checks, TransactionTestCase):
    kind = "transaction"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def test_a(self):
        self.write_and_check("a")


class LiveServerKindTests(Checks, LiveServerTestCase):
    """The writes come from the live server's thread, through a view."""

    kind = "liveserver"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def write_and_check(self, part):
        key = f"{self.kind}:{part}"
        with urlopen(f"{self.live_server_url}/write/{key}/") as response:
            self.assertEqual(response.read(), b"ok")
        self.assertEqual(
            cache.get_many(ALL_KEYS), self.expected(**{part: SERVER_VALUE})
        )

    def test_a(self):
        self.write_and_check("a")


class AsyncKindTests(Checks, SimpleTestCase):
    kind = "async"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    async def awrite_and_check(self, part):
        await cache.aset(f"{self.kind}:{part}", part)
        self.assertEqual(await cache.aget_many(ALL_KEYS), self.expected(**{part: part}))

    async def test_a(self):
        await self.awrite_and_check("a")

    async def test_b(self):
        await self.awrite_and_check("b")


class SubTestKindTests(Checks, SimpleTestCase):
    kind = "subtest"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def test_a(self):
        for index in range(3):
            with self.subTest(index=index):
                cache.set(f"subtest:a{index}", index)
        self.assertEqual(cache.get_many(ALL_KEYS), self.expected(a0=0, a1=1, a2=2))


class SkipsKindTests(Checks, SimpleTestCase):
    kind = "skips"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    @unittest.skip("skipped by a decorator")
    def test_0_skipped(self):
        raise AssertionError("a skipped test must not run")

    def test_a_writes_then_skips(self):
        cache.set("skips:a", "a")
        self.skipTest("skipped after writing")


@unittest.skip("a skipped class")
class SkippedClassKindTests(Checks, SimpleTestCase):
    kind = "skippedclass"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def test_a(self):
        raise AssertionError("a test of a skipped class must not run")


class ExpectedFailureKindTests(Checks, SimpleTestCase):
    kind = "expectedfailure"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    @unittest.expectedFailure
    def test_a(self):
        self.write_and_check("a")
        self.fail("fails as expected, after its checks passed")


@override_settings(CACHES=locmem("kinds-override-class"))
class OverrideClassKindTests(Checks, SimpleTestCase):
    """The class's own cache store, from override_settings on the class."""

    kind = "overrideclass"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def write_and_check(self, part):
        location = settings.CACHES["default"]["LOCATION"]
        self.assertEqual(location, "kinds-override-class")
        super().write_and_check(part)

    def test_a(self):
        self.write_and_check("a")


class OverrideMethodKindTests(Checks, SimpleTestCase):
    """Each test's own cache store, from override_settings on the method."""

    kind = "overridemethod"
    has_setup = False

    def write_and_check(self, part):
        location = settings.CACHES["default"]["LOCATION"]
        self.assertEqual(location, "kinds-override-method")
        super().write_and_check(part)

    @override_settings(CACHES=locmem("kinds-override-method"))
    def test_a(self):
        self.write_and_check("a")

    @override_settings(CACHES=locmem("kinds-override-method"))
    def test_b(self):
        self.write_and_check("b")
