"""Two failing tests around a passing one (--failfast, --debug-sql, --buffer)."""

from django.core.cache import cache
from django.test import TestCase

from compatapp.models import Item
from compatapp.tests.checks import Checks

NOISE = "NOISE FROM A FAILING TEST"


class FailingTests(Checks, TestCase):
    kind = "failing"

    @classmethod
    def setUpTestData(cls):
        cls.write_setup()

    def test_a_fails_after_a_query(self):
        print(NOISE)
        cache.set("failing:a", "a")
        self.assertFalse(Item.objects.filter(name="looked-up-by-a-failing-test"))
        self.fail("fails on purpose")

    def test_b_sees_only_its_class_state(self):
        self.write_and_check("b")

    def test_c_fails(self):
        self.fail("fails on purpose too")
