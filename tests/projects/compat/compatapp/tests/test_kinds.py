"""One class per kind of test, each checking exactly what cache it sees.

Every class has a setup key (written by its class setup) and tests that each
write a key and then check the whole visible cache (see checks.py). Under
plain ``manage.py test`` a later test of every class fails; under
``manage.py isolatedtest`` every test passes.
"""

import json
import unittest
from urllib.request import urlopen

from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.cache import cache
from django.test import SimpleTestCase, TransactionTestCase, override_settings

from compatapp.keys import ALL_KEYS, SERVER_VALUE
from compatapp.models import Item
from compatapp.tests.checks import Checks


def locmem(location):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": location,
        }
    }


class SerializedRollbackTests(Checks, TransactionTestCase):
    """Each test deletes the migration's row; serialized_rollback restores it."""

    kind = "rollback"
    serialized_rollback = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def delete_the_seeded_row_and_check(self, part):
        self.assertEqual(list(Item.objects.values_list("name", flat=True)), ["seeded"])
        Item.objects.all().delete()
        self.write_and_check(part)

    def test_a(self):
        self.delete_the_seeded_row_and_check("a")

    def test_b(self):
        self.delete_the_seeded_row_and_check("b")


class StaticLiveServerTests(Checks, StaticLiveServerTestCase):
    """The writes come from the live server's thread, through a view."""

    kind = "static"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def get(self, path):
        with urlopen(f"{self.live_server_url}{path}") as response:
            return response.read()

    def write_and_check(self, part):
        self.assertEqual(self.get(f"/write/{self.kind}:{part}/"), b"ok")
        expected = self.expected(**{part: SERVER_VALUE})
        # The server thread and the test see the same thing.
        self.assertEqual(json.loads(self.get("/read/")), expected)
        self.assertEqual(cache.get_many(ALL_KEYS), expected)

    def test_a(self):
        self.assertEqual(
            self.get("/static/compat/hello.txt"),
            b"Served by StaticLiveServerTestCase.\n",
        )
        self.write_and_check("a")

    def test_b(self):
        self.write_and_check("b")


class AsyncTests(Checks, SimpleTestCase):
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


class SubTestTests(Checks, SimpleTestCase):
    kind = "subtest"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def test_a(self):
        for index in range(3):
            with self.subTest(index=index):
                cache.set(f"subtest:a{index}", index)
                self.assertEqual(cache.get(f"subtest:a{index}"), index)
        self.assert_sees_only(a0=0, a1=1, a2=2)

    def test_b(self):
        self.write_and_check("b")


class SkipsTests(Checks, SimpleTestCase):
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

    def test_b(self):
        self.write_and_check("b")


@unittest.skip("a skipped class")
class SkippedClassTests(Checks, SimpleTestCase):
    kind = "skippedclass"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def test_a(self):
        raise AssertionError("a test of a skipped class must not run")


class ExpectedFailureTests(Checks, SimpleTestCase):
    kind = "expectedfailure"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    @unittest.expectedFailure
    def test_a(self):
        self.write_and_check("a")
        self.fail("fails as expected, after its checks passed")

    def test_b(self):
        self.write_and_check("b")


@override_settings(CACHES=locmem("compat-override-class"))
class OverrideClassTests(Checks, SimpleTestCase):
    """The class's own cache store, from override_settings on the class."""

    kind = "overrideclass"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def write_and_check(self, part):
        location = settings.CACHES["default"]["LOCATION"]
        self.assertEqual(location, "compat-override-class")
        super().write_and_check(part)

    def test_a(self):
        self.write_and_check("a")

    def test_b(self):
        self.write_and_check("b")


class OverrideMethodTests(Checks, SimpleTestCase):
    """Each test's own cache store, from override_settings on the method."""

    kind = "overridemethod"
    has_setup = False

    def write_and_check(self, part):
        location = settings.CACHES["default"]["LOCATION"]
        self.assertEqual(location, "compat-override-method")
        super().write_and_check(part)

    @override_settings(CACHES=locmem("compat-override-method"))
    def test_a(self):
        self.write_and_check("a")

    @override_settings(CACHES=locmem("compat-override-method"))
    def test_b(self):
        self.write_and_check("b")
