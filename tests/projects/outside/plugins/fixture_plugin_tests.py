"""Tests of a project using the fixture plugin's registry."""

from django.test import SimpleTestCase
from fixture_plugin import REGISTRY


class RegistryTests(SimpleTestCase):
    def test_a_registers(self):
        REGISTRY["theme"] = "dark"

    def test_b_sees_an_empty_registry(self):
        self.assertEqual(REGISTRY, {})
