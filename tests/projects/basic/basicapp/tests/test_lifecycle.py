"""unittest's whole lifecycle, correct under plain ``test``: isolation must keep it so.

A module's setup is seen by every class of the module; a class's cleanups
(``addClassCleanup``, ``enterClassContext``) run inside the class's scope,
so what they undo is not a leak, and what they patch is still there for
them to put back. Nothing here leaks.
"""

import unittest
from unittest import mock

from django.core.cache import cache
from django.test import SimpleTestCase


def setUpModule():
    cache.set("module-flag", "on")
    unittest.addModuleCleanup(cache.delete, "module-flag")


class AReadsModuleStateTests(SimpleTestCase):
    def test_sees_the_module_flag(self):
        self.assertEqual(cache.get("module-flag"), "on")


class BReadsModuleStateTooTests(SimpleTestCase):
    def test_still_sees_the_module_flag(self):
        self.assertEqual(cache.get("module-flag"), "on")


class CPatchesTheCacheForTheClassTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        patcher = mock.patch.object(cache, "get", return_value="patched")
        if hasattr(cls, "enterClassContext"):  # Python 3.11+
            cls.enterClassContext(patcher)
        else:
            patcher.start()
            cls.addClassCleanup(patcher.stop)

    def test_sees_the_patch(self):
        self.assertEqual(cache.get("anything"), "patched")


class DRemovesItsKeyInAClassCleanupTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("class-key", 1)
        cls.addClassCleanup(cache.delete, "class-key")

    def test_sees_the_class_key(self):
        self.assertEqual(cache.get("class-key"), 1)


class EAfterTheModuleTests(SimpleTestCase):
    def test_the_patch_is_gone(self):
        self.assertIsNone(cache.get("anything"))
        self.assertIsNone(cache.get("class-key"))
