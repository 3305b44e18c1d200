"""A known inventory of leaks, and of tests that clean up after themselves.

Leaks (what isolatedtest must report, and what --strict must fail):
- test LeakyTests.test_leaks_one_key: 'default' leaky:one
- test LeakyTests.test_leaks_two_keys: 'default' leaky:two:a, leaky:two:b
- test LeakyTests.test_leaks_into_prefixed_alias: 'other' versioned
- test ClassStateTests.test_changes_a_setup_key: 'default' class:setup (changed)
- test ClassStateTests.test_deletes_a_setup_key: 'default' class:setup (deleted)
- class ClassStateTests: 'default' class:setup, class:teardown (added)
No test touches another test's keys, so the leaks are the same in any order
and with or without isolation. Nothing else may be reported.
"""

from django.core.cache import cache, caches
from django.test import SimpleTestCase, TestCase


class LeakyTests(SimpleTestCase):
    def test_leaks_one_key(self):
        cache.set("leaky:one", 1)

    def test_leaks_two_keys(self):
        cache.set("leaky:two:a", 1)
        cache.set("leaky:two:b", 2)

    def test_leaks_into_prefixed_alias(self):
        # Stored as 'pre:3:versioned'; reported as code passed it.
        caches["other"].set("versioned", 1, version=3)


class TidyTests(SimpleTestCase):
    """Tests that leave nothing behind: never reported, never failed."""

    def setUp(self):
        self.addCleanup(cache.delete, "tidy:cleanup")

    def tearDown(self):
        cache.delete("tidy:teardown")

    def test_deletes_its_key_in_tear_down(self):
        cache.set("tidy:teardown", 1)

    def test_deletes_its_key_with_add_cleanup(self):
        cache.set("tidy:cleanup", 1)

    def test_deletes_its_key_in_the_test(self):
        cache.set("tidy:inline", 1)
        cache.delete("tidy:inline")

    def test_writes_a_key_that_is_already_expired(self):
        cache.set("tidy:expired", 1, timeout=0)

    def test_writes_to_the_dummy_cache(self):
        caches["dummy"].set("tidy:dummy", 1)

    def test_only_reads(self):
        self.assertIsNone(cache.get("tidy:nothing"))


class ClassStateTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache.set("class:setup", "original")
        cache.set("class:deleted-in-teardown", 1)

    @classmethod
    def tearDownClass(cls):
        cache.set("class:teardown", 1)
        cache.delete("class:deleted-in-teardown")
        super().tearDownClass()

    def test_changes_a_setup_key(self):
        self.assertEqual(cache.get("class:setup"), "original")
        cache.set("class:setup", "changed")

    def test_deletes_a_setup_key(self):
        self.assertEqual(cache.get("class:setup"), "original")
        cache.delete("class:setup")

    def test_sees_the_setup_state(self):
        self.assertEqual(cache.get("class:setup"), "original")
        self.assertEqual(cache.get("class:deleted-in-teardown"), 1)


class TidyClassTests(TestCase):
    """Class state from setUpTestData that tearDownClass deletes: no leak."""

    @classmethod
    def setUpTestData(cls):
        cache.set("tidyclass:data", 1)

    @classmethod
    def tearDownClass(cls):
        cache.delete("tidyclass:data")
        super().tearDownClass()

    def test_sees_its_class_data(self):
        self.assertEqual(cache.get("tidyclass:data"), 1)
