"""A run that dies mid-way (SIGKILL), leaving its keys on the server."""

import os
import signal
import unittest

from django.core.cache import cache
from django.test import SimpleTestCase


@unittest.skipUnless(os.environ.get("FIXTURE_CRASH"), "only when asked to crash")
class Crash(SimpleTestCase):
    databases = "__all__"  # a DatabaseCache needs the database

    def test_dies_after_writing(self):
        cache.set("orphan-forever", 1, timeout=None)
        cache.set("orphan-soon", 1)
        os.kill(os.getpid(), signal.SIGKILL)
