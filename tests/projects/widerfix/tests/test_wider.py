"""A module's fixture, set up inside a test that already wrote: deletes, clears, writes.

Without isolation the test then sees the key gone, the cache empty, the
values the fixture wrote; so must it with isolation, on every backend. What
the fixture did is the module's, not the test's or its class's.
"""

import pytest
from django.core.cache import cache


@pytest.fixture(scope="class")
def flag():
    cache.set("flag", "up")


@pytest.fixture(scope="module")
def lowered():
    cache.delete("flag")


@pytest.fixture(scope="module")
def wiped():
    cache.clear()


@pytest.mark.usefixtures("flag")
class TestDelete:
    def test_a_wider_fixtures_delete_is_seen_at_once(self, request):
        cache.set("own", 1)
        assert cache.get("flag") == "up"
        request.getfixturevalue("lowered")
        assert cache.get("flag") is None
        assert cache.get("own") == 1


@pytest.mark.usefixtures("flag")
class TestClear:
    def test_a_wider_fixtures_clear_is_seen_at_once(self, request):
        cache.set("own", 1)
        request.getfixturevalue("wiped")
        assert cache.get("own") is None
        assert cache.get("flag") is None
        cache.set("after", 2)
        assert cache.get("after") == 2


@pytest.fixture(scope="module")
def raised():
    cache.set("flag", "raised")
    cache.set("late", "module")


@pytest.mark.usefixtures("flag")
class TestWrite:
    def test_a_wider_fixtures_writes_are_seen_at_once(self, request):
        cache.set("own", 1)
        assert cache.get("flag") == "up"
        request.getfixturevalue("raised")
        assert cache.get("flag") == "raised"
        assert cache.get("late") == "module"
        assert cache.get("own") == 1
