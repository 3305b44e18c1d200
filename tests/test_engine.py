"""Unit tests of the isolation engine driven directly, on real LocMemCache stores.

``Run`` drives the engine as the unittest hook does: the class's scope opens
before its setup writes, each test opens and closes a scope inside it.
"""

import threading
import time

import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(CACHES={})

from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from engines import Run

from isolatedtest.conf import Config
from isolatedtest.engine import Engine
from isolatedtest.ledger import resolve
from isolatedtest.resources.attributes import AttributeResource
from isolatedtest.resources.locmem import LocMemResource

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "engine-default",
    },
    "other": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "engine-other",
        "KEY_PREFIX": "pre",
    },
}


@pytest.fixture
def caches():
    with override_settings(CACHES=CACHES):
        default = LocMemCache("engine-default", {})
        other = LocMemCache("engine-other", {"KEY_PREFIX": "pre"})
        default.clear()
        other.clear()
        yield default, other
        default.clear()
        other.clear()


def engine(reset=True, **config) -> Run:
    return Run(LocMemResource(Config(**config), reset), reset=reset)


def keys_of(leaks):
    return {(leak.alias, key) for leak in resolve(leaks) for key in leak.keys}


def verdicts_of(leaks):
    return {
        (leak.alias, key, change)
        for leak in resolve(leaks)
        for key, change in zip(leak.keys, leak.changes, strict=True)
    }


def test_a_tests_writes_are_undone_and_reported_as_its_leak(caches):
    default, other = caches
    isolation = engine()
    isolation.start_test()
    default.set("a", 1)
    other.set("b", 2, version=3)
    leaks = isolation.end_test()
    assert keys_of(leaks) == {("default", "a"), ("other", "b")}
    assert default.get("a") is None
    assert other.get("b", version=3) is None


def test_class_state_is_seen_by_each_test_and_restored_after_it(caches):
    default, _ = caches
    isolation = engine()
    default.set("config", "eur")
    default.set("counter", 1)
    for _ in range(2):
        isolation.start_test()
        assert default.get("config") == "eur"
        assert default.get("counter") == 1
        default.incr("counter")
        default.delete("config")
        default.set("new", 1)
        assert verdicts_of(isolation.end_test()) == {
            ("default", "counter", "changed"),
            ("default", "config", "deleted"),
            ("default", "new", "added"),
        }
    assert default.get("config") == "eur"
    assert default.get("counter") == 1


def test_clear_inside_a_test_is_undone_and_deletes_what_it_saw(caches):
    default, _ = caches
    isolation = engine()
    default.set("class-key", 1)
    isolation.start_test()
    default.clear()
    assert verdicts_of(isolation.end_test()) == {("default", "class-key", "deleted")}
    assert default.get("class-key") == 1


def test_a_key_put_back_as_it_was_is_no_leak(caches):
    default, _ = caches
    isolation = engine()
    default.set("class-key", "class")
    isolation.start_test()
    default.set("class-key", "changed")
    default.set("class-key", "class")  # a new expiry time, the same value
    default.set("new", 1)
    default.delete("new")
    assert resolve(isolation.end_test()) == []


def test_class_end_undoes_class_setup_and_reports_it(caches):
    default, _ = caches
    isolation = engine()
    default.set("setup", 1)
    leaks = isolation.end_class()
    assert keys_of(leaks) == {("default", "setup")}
    assert default.get("setup") is None


def test_report_only_mode_keeps_writes_and_still_reports_them(caches):
    default, _ = caches
    isolation = engine(reset=False)
    default.set("setup", 1)
    isolation.start_test()
    default.set("a", 1)
    assert keys_of(isolation.end_test()) == {("default", "a")}
    isolation.start_test()
    assert default.get("a") == 1
    assert isolation.end_test() == []
    # The class is charged with its own setup's key, not with its tests' keys.
    assert keys_of(isolation.end_class()) == {("default", "setup")}
    assert default.get("a") == 1


def test_an_expired_key_is_not_a_leak(caches):
    default, _ = caches
    isolation = engine()
    isolation.start_test()
    default.set("gone", 1, timeout=0.001)
    default.set("live", 1)
    deadline = time.time() + 0.001
    while time.time() <= deadline:
        pass
    assert keys_of(isolation.end_test()) == {("default", "live")}


def test_persistent_keys_survive_and_are_not_reported(caches):
    default, _ = caches
    isolation = engine(persistent_keys=("token:*",))
    default.set("token:old", 1)
    isolation.start_test()
    default.set("token:new", 2)
    default.delete("token:old")
    default.set("plain", 3)
    assert keys_of(isolation.end_test()) == {("default", "plain")}
    assert default.get("token:new") == 2
    assert default.get("token:old") is None
    assert default.get("plain") is None


def test_an_excluded_alias_is_left_alone(caches):
    default, other = caches
    isolation = engine(exclude_aliases=frozenset({"other"}))
    isolation.start_test()
    other.set("lock", 1)
    default.set("a", 1)
    assert keys_of(isolation.end_test()) == {("default", "a")}
    assert other.get("lock") == 1


def test_a_store_created_during_a_test_is_emptied(caches):
    isolation = engine()
    isolation.start_test()
    late = LocMemCache("engine-created-late", {})
    late.set("x", 1)
    leaks = resolve(isolation.end_test())
    assert [(leak.alias, leak.location, leak.keys) for leak in leaks] == [
        ("", "engine-created-late", ("x",))
    ]
    assert late.get("x") is None


def test_restore_is_in_place_so_instances_held_earlier_see_it(caches):
    default, _ = caches
    isolation = engine()
    default.set("k", "class")
    held_elsewhere = LocMemCache("engine-default", {})
    isolation.start_test()
    held_elsewhere.set("k", "test")
    isolation.end_test()
    assert held_elsewhere.get("k") == "class"
    assert default._cache is held_elsewhere._cache


def test_writes_from_another_thread_are_undone(caches):
    default, _ = caches
    isolation = engine()
    isolation.start_test()
    writer = threading.Thread(target=default.set, args=("threaded", 1))
    writer.start()
    writer.join()
    assert keys_of(isolation.end_test()) == {("default", "threaded")}
    assert default.get("threaded") is None


def test_an_exempt_tests_writes_become_class_state_uncharged(caches):
    default, _ = caches
    isolation = engine()
    default.set("setup", 1)
    isolation.start_test(exempt=True)
    default.set("shared", 1)
    isolation.end_test()
    isolation.start_test()
    default.set("mine", 1)
    isolation.end_test()
    assert default.get("shared") == 1
    assert default.get("mine") is None
    assert keys_of(isolation.end_class()) == {("default", "setup")}
    assert default.get("shared") is None


def test_a_worker_forgets_what_its_parent_cached(caches):
    default, _ = caches
    default.set("parent", 1)
    Engine([LocMemResource(Config(), reset=True)]).start_worker()
    assert default.get("parent") is None


def test_class_keys_culled_by_a_tests_writes_come_back(caches):
    with override_settings(CACHES=CACHES):
        small = LocMemCache("engine-small", {"OPTIONS": {"MAX_ENTRIES": 3}})
        small.clear()
        small.set("class-key", 1)
        isolation = engine()
        isolation.start_test()
        for index in range(5):
            small.set(f"test-key-{index}", index)
        assert small.get("class-key") is None
        isolation.end_test()
        assert small.get("class-key") == 1
        small.clear()


def test_two_engines_side_by_side_keep_to_their_own(caches):
    from django.core.cache import caches as handler

    with override_settings(CACHES=CACHES):
        first = Run(
            LocMemResource(Config(exclude_aliases=frozenset({"other"})), True),
            AttributeResource(Config(exclude_aliases=frozenset({"other"})), True),
        )
        second = Run(
            LocMemResource(Config(exclude_aliases=frozenset({"default"})), True),
            AttributeResource(Config(exclude_aliases=frozenset({"default"})), True),
        )
        default, other = handler["default"], handler["other"]
        first.start_test()
        second.start_test()
        default.set("a", 1)
        default.key_prefix = "changed"
        other.set("b", 2)
        other.key_prefix = "changed too"
        second_leaks = resolve(second.end_test())
        first_leaks = resolve(first.end_test())
        assert [(leak.alias, leak.keys, leak.attributes) for leak in second_leaks] == [
            ("other", ("b",), ()),
            ("other", (), ("key_prefix",)),
        ]
        assert [(leak.alias, leak.keys, leak.attributes) for leak in first_leaks] == [
            ("default", ("a",), ()),
            ("default", (), ("key_prefix",)),
        ]
        assert (default.key_prefix, other.key_prefix) == ("", "pre")
        assert default.get("a") is None
        assert other.get("b") is None
        first.end_run()
        second.end_run()
