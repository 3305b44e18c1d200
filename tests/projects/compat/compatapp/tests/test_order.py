"""An order-dependent suite, the target of the runner options' tests.

Three classes of two or three tests that each write a key and check the
whole cache: under plain ``manage.py test`` a later test of each class fails
in any order (default, --reverse, --shuffle) and in any --parallel worker.
"""

import unittest

from django.test import SimpleTestCase, TestCase, tag

from compatapp.models import Item
from compatapp.tests.checks import Checks

NOISE = "NOISE FROM A PASSING TEST"


class OrderATests(Checks, TestCase):
    kind = "order-a"

    @classmethod
    def setUpTestData(cls):
        cls.write_setup()

    def test_a(self):
        print(NOISE)
        self.assertEqual(Item.objects.count(), 1)
        self.write_and_check("a")

    def test_b(self):
        self.write_and_check("b")

    @tag("slow")
    def test_c_slow(self):
        self.write_and_check("c")


class OrderBTests(Checks, SimpleTestCase):
    kind = "order-b"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_setup()

    def test_a(self):
        self.write_and_check("a")

    def test_b(self):
        self.write_and_check("b")


class OrderCTests(Checks, unittest.TestCase):
    kind = "order-c"
    has_setup = False

    def test_a(self):
        self.write_and_check("a")

    def test_b(self):
        self.write_and_check("b")
