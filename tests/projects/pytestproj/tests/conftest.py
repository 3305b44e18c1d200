import pytest
from django.core.cache import cache


@pytest.fixture(scope="session")
def session_state():
    """Set up lazily: first requested by some test, maybe deep in a module."""
    cache.set("session-key", "s")
    yield "s"


@pytest.fixture
def function_state():
    """A function-scoped fixture that leaves its key behind."""
    cache.set("fn-key", "f")
    yield "f"
