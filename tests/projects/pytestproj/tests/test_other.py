"""Another module: nothing of test_scopes.py's tests or module fixture is here."""

import pytest
from django.core.cache import cache


def test_no_leftovers():
    for key in (
        *("counter", "module-key", "param", "fn-key", "class-key", "exempt-key"),
        *("xunit-module", "xunit-class", "exempt-class-key"),
    ):
        assert cache.get(key) is None, key


def test_session_fixture_seen_everywhere(session_state):
    assert cache.get("session-key") == "s"


@pytest.mark.asyncio
async def test_async_write():
    assert await cache.aget("async-key") is None
    await cache.aset("async-key", 1)


@pytest.mark.asyncio
async def test_async_again():
    assert await cache.aget("async-key") is None
    await cache.aset("async-key", 2)
