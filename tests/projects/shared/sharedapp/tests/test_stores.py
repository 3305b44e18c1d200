"""Aliases on one store share it, under isolation as without it.

"v2" (VERSION 2) and "cull"/"zero_cull" (MAX_ENTRIES 30) are aliases on the
same store as "default": one Redis database, Memcached server, directory or
table. Django treats them as one cache: what one writes another reads, and
clear() or culling through one empties the store for all.

The culling tests print what they counted (``store-count <test>: <n>``): the
pytest tests require the same numbers under plain ``test``.
"""

import sys

from django.conf import settings
from django.core.cache import cache, caches
from django.test import TestCase, override_settings

DEFAULT = settings.CACHES["default"]
# Only these backends cull (the others would pass the options to a client).
CULLS = DEFAULT["BACKEND"].rsplit(".", 1)[-1] in {"FileBasedCache", "DatabaseCache"}
CULLING = {"MAX_ENTRIES": 30} if CULLS else {}
STORE_ALIASES = {
    **settings.CACHES,
    "v2": {**DEFAULT, "VERSION": 2},
    "cull": {**DEFAULT, "OPTIONS": CULLING},
    "zero_cull": {
        **DEFAULT,
        "OPTIONS": {**CULLING, "CULL_FREQUENCY": 0} if CULLS else {},
    },
}
CLASS_KEYS = [f"class:{n}" for n in range(20)]


@override_settings(CACHES=STORE_ALIASES)
class OneStore(TestCase):
    @classmethod
    def setUpTestData(cls):
        cache.set("class-key", "from the class")

    def test_a_alias_reads_what_another_alias_wrote(self):
        cache.set("answer", 42)
        self.assertEqual(caches["v2"].get("answer", version=1), 42)
        self.assertIsNone(caches["v2"].get("answer"))
        caches["v2"].set("answer", 37)
        self.assertEqual(cache.get("answer", version=2), 37)
        self.assertEqual(caches["v2"].get("class-key", version=1), "from the class")
        caches["v2"].delete("answer", version=1)
        self.assertIsNone(cache.get("answer"))

    def test_b_clear_through_one_alias_empties_the_store_for_all(self):
        caches["v2"].set("mine", 1)
        caches["v2"].clear()
        self.assertIsNone(cache.get("class-key"))
        self.assertIsNone(caches["v2"].get("mine"))
        cache.set("after-clear", 1)
        self.assertEqual(caches["v2"].get("after-clear", version=1), 1)
        cache.delete("after-clear")

    def test_c_the_class_state_is_back_after_a_clear(self):
        self.assertEqual(caches["v2"].get("class-key", version=1), "from the class")
        self.assertIsNone(caches["v2"].get("mine"))


@override_settings(CACHES=STORE_ALIASES)
class Culling(TestCase):
    """Culling counts and deletes what the test sees, and nothing else."""

    @classmethod
    def setUpTestData(cls):
        for key in CLASS_KEYS:
            caches["cull"].set(key, 1)

    def setUp(self):
        if not CULLS:
            self.skipTest("this backend does not cull")

    def fill_and_count(self, alias):
        written = [f"{alias}:{n}" for n in range(40)]
        for key in written:
            caches[alias].set(key, 1, 1000)
        count = sum(caches[alias].has_key(key) for key in CLASS_KEYS + written)
        print(f"store-count {self._testMethodName}: {count}", file=sys.stderr)
        return count

    def test_a_culls_some_entries(self):
        self.assertLess(self.fill_and_count("cull"), 60)

    def test_b_class_state_is_whole_again(self):
        self.assertEqual(len(caches["cull"].get_many(CLASS_KEYS)), 20)

    def test_c_a_zero_cull_empties_the_store(self):
        self.assertLess(self.fill_and_count("zero_cull"), 31)
