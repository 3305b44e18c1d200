"""Runs after test_module_setup_fails: must not see what its setUpModule wrote."""

from django.core.cache import cache
from django.test import SimpleTestCase


class AfterFailedModuleSetupTests(SimpleTestCase):
    def test_does_not_see_the_failed_module_setup_write(self):
        self.assertIsNone(cache.get("module:setup"))
