"""Every kind of pytest scope writing cache state; each test asserts what it sees."""

import pytest
from django.core.cache import cache

# The CACHES two tests set with pytest-django's settings fixture.
OVERRIDDEN = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "overridden",
    }
}


@pytest.fixture(scope="module")
def module_state():
    cache.set("module-key", "m")
    yield "m"


def test_counter_starts_empty():
    assert cache.get("counter") is None
    cache.set("counter", 1)


def test_counter_again():
    assert cache.get("counter") is None
    cache.set("counter", 2)


def test_module_fixture_visible(module_state):
    assert cache.get("module-key") == "m"
    cache.set("module-key", "changed by a test")


def test_module_fixture_intact(module_state):
    assert cache.get("module-key") == "m"
    cache.set("module-key", "changed again")


def test_session_fixture_set_up_late(session_state):
    assert cache.get("session-key") == "s"


@pytest.mark.parametrize("n", [1, 2, 3])
def test_parametrized(n):
    assert cache.get("param") is None
    cache.set("param", n)


def test_function_fixture(function_state):
    assert cache.get("fn-key") == "f"


def test_no_function_fixture_leftover():
    assert cache.get("fn-key") is None


@pytest.fixture(scope="class")
def class_state():
    cache.set("class-key", "c")
    yield
    cache.delete("class-key")


@pytest.mark.usefixtures("class_state")
class TestClassScope:
    def test_sees_class_state(self):
        assert cache.get("class-key") == "c"
        cache.delete("class-key")

    def test_class_state_back(self):
        assert cache.get("class-key") == "c"
        cache.set("class-key", "changed")


@pytest.mark.no_isolation
def test_exempt_writes():
    cache.set("exempt-key", 1)


def test_settings_fixture_changes_caches(settings):
    settings.CACHES = OVERRIDDEN
    from django.core.cache import caches

    assert caches["default"].get("overridden-key") is None
    caches["default"].set("overridden-key", 1)


def test_settings_fixture_again(settings):
    settings.CACHES = OVERRIDDEN
    from django.core.cache import caches

    assert caches["default"].get("overridden-key") is None
    caches["default"].set("overridden-key", 2)
