"""A module's fixture, set up inside a test that already wrote, deletes and clears.

Without isolation the test then sees the key gone and the cache empty; so
must it with isolation, on every backend.
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
