"""The no_isolation decorator, on a class and on a method.

Classes run in the order of their names (they are all SimpleTestCases), and
tests in the order of theirs: run this module without --reverse or --shuffle.
"""

from django.core.cache import cache
from django.test import SimpleTestCase

from isolatedtest import no_isolation


@no_isolation
class Test1SharedClassTests(SimpleTestCase):
    """An exempt class: its tests see each other's writes."""

    def test_1_writes(self):
        cache.set("exempt:class-shared", 1)

    def test_2_sees_the_first_tests_write(self):
        self.assertEqual(cache.get("exempt:class-shared"), 1)


class Test2AfterSharedClassTests(SimpleTestCase):
    def test_does_not_see_the_exempt_class_writes(self):
        self.assertIsNone(cache.get("exempt:class-shared"))


class Test3ExemptMethodTests(SimpleTestCase):
    """One exempt method: later tests of its class see its writes."""

    @no_isolation
    def test_1_exempt_writes(self):
        cache.set("exempt:method", 1)

    def test_2_sees_the_exempt_write_and_writes(self):
        self.assertEqual(cache.get("exempt:method"), 1)
        cache.set("exempt:normal", 1)

    def test_3_sees_the_exempt_write_only(self):
        self.assertEqual(cache.get("exempt:method"), 1)
        self.assertIsNone(cache.get("exempt:normal"))


class Test4AfterExemptMethodTests(SimpleTestCase):
    def test_does_not_see_the_exempt_method_write(self):
        self.assertIsNone(cache.get("exempt:method"))
        self.assertIsNone(cache.get("exempt:normal"))
