"""A test must be let go once it ends, as under plain `test`.

The first test leaks a key and keeps a large object on ``self``; the second
checks that nothing keeps the first one alive (isolatedtest once kept every
leaking test in its leak records until the run ended).
"""

import gc
import weakref

from django.core.cache import cache
from django.test import SimpleTestCase

_ended = []


class ReleaseTests(SimpleTestCase):
    def test_1_leaks_and_keeps_a_large_object(self):
        self.payload = bytearray(100_000)
        cache.set("release:leaked", 1)
        _ended.append(weakref.ref(self))

    def test_2_the_earlier_test_is_gone(self):
        gc.collect()
        self.assertEqual([ref() for ref in _ended if ref() is not None], [])
