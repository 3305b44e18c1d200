"""A test that removes a directory (FIXTURE_REMOVE_DIR): where the report was to go."""

import os
import shutil
import unittest

from django.test import SimpleTestCase


@unittest.skipUnless(os.environ.get("FIXTURE_REMOVE_DIR"), "only when asked to")
class RemovesTheReportsDirectory(SimpleTestCase):
    def test_removes_it(self):
        shutil.rmtree(os.environ["FIXTURE_REMOVE_DIR"])
