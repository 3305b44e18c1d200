"""Two classes (two parallel workers) that hold their keys until released.

With FIXTURE_HANDSHAKE (a directory with the FIFOs "ready" and "release"),
each test writes a key, says its pid on "ready", and waits on "release";
then it expects its key back. Skipped otherwise.
"""

import os
import unittest

from django.core.cache import cache
from django.test import SimpleTestCase

HANDSHAKE = os.environ.get("FIXTURE_HANDSHAKE")


@unittest.skipUnless(HANDSHAKE, "only with a handshake directory")
class HeldMixin:
    databases = "__all__"

    def test_holds_its_key(self):
        cache.set("held", os.getpid(), timeout=None)
        with open(os.path.join(HANDSHAKE, "ready"), "w") as ready:
            ready.write(f"{os.getpid()}\n")
        with open(os.path.join(HANDSHAKE, "release")) as release:
            release.read()
        self.assertEqual(cache.get("held"), os.getpid())


class HeldA(HeldMixin, SimpleTestCase):
    pass


class HeldB(HeldMixin, SimpleTestCase):
    pass
