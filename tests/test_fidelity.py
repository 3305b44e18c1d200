"""Isolation changes nothing but what tests leak into each other.

Each test here runs a real ``manage.py`` and checks one way isolatedtest
once differed from plain ``test``: what it kept, what it reported, what a
test saw.
"""

from __future__ import annotations


def test_a_test_that_leaked_is_let_go_when_it_ends(manage):
    label = "basicapp.tests.test_release"
    plain = manage("basic", "test", label)
    assert plain.returncode == 0, plain
    run = manage("basic", "isolatedtest", label)
    assert run.returncode == 0, run
    assert run.summary.startswith("isolatedtest: 1 test left cache state behind"), run


def test_leaks_name_the_same_aliases_in_serial_and_parallel_runs(
    manage, tmp_path, read_leaks
):
    labels = ("basicapp.tests.test_overridden_alias", "basicapp.tests.test_leaks")
    leaks = {}
    for mode, options in {"serial": (), "parallel": ("--parallel", "2")}.items():
        path = tmp_path / f"{mode}.json"
        run = manage(
            "basic", "isolatedtest", *labels, *options, "--leak-report", str(path)
        )
        assert run.returncode == 0, run
        leaks[mode] = read_leaks(path)[1]
    assert "Cloning test database" in run.stderr, run
    test = "basicapp.tests.test_overridden_alias.OverriddenAliasTests"
    assert (
        "test",
        f"{test}.test_leaks_into_an_alias_settings_did_not_have",
        "sessions",
        ("session:1",),
    ) in leaks["serial"]
    assert leaks["parallel"] == leaks["serial"]


def test_clients_that_hide_errors_write_nothing_and_leak_nothing(manage, server_cache):
    from servers import _free_port

    quiet = {
        "quiet_redis": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_free_port()}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        },
        "quiet_memcached": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": f"127.0.0.1:{_free_port()}",
            "OPTIONS": {"ignore_exc": True},
        },
    }
    label = "sharedapp.tests.test_fail_open"
    env = {"FIXTURE_CACHE": server_cache("redis"), "FIXTURE_EXTRA_CACHES": quiet}
    plain = manage("shared", "test", label, env=env)
    assert plain.returncode == 0, plain
    run = manage("shared", "isolatedtest", label, "--strict", env=env)
    assert run.returncode == 0, run
    assert run.summary == "isolatedtest: no cache leaks.", run
    assert "could not reset" not in run.stderr, run


def test_a_dropped_cache_table_is_no_failed_reset_and_no_leak(manage, server_cache):
    label = "sharedapp.tests.test_dropped_table"
    env = {"FIXTURE_CACHE": server_cache("db")}
    run = manage("shared", "isolatedtest", label, "--strict", env=env)
    assert run.returncode == 0, run
    assert run.ran == 2
    assert run.summary == "isolatedtest: no cache leaks.", run


def test_a_reset_that_keeps_failing_is_reported_once_with_its_leaks(
    manage, server_cache, tmp_path, read_leaks
):
    label = "sharedapp.tests.test_read_only_table"
    path = tmp_path / "leaks.json"
    env = {"FIXTURE_CACHE": server_cache("db")}
    run = manage("shared", "isolatedtest", label, "--leak-report", str(path), env=env)
    assert run.returncode == 0, run
    failures = [line for line in run.stderr.splitlines() if "could not reset" in line]
    test = f"{label}.ReadOnlyTable"
    assert failures == [
        "isolatedtest: could not reset alias 'default' (DatabaseCache "
        f"'isolatedtest_cache') after test {test}.test_a_leaves_a_key "
        "(and 1 more time): IntegrityError: deletions are refused"
    ], run
    # The next test does not see them (a fresh namespace), but they are there.
    assert (
        "isolatedtest: 2 tests left cache state behind (2 keys in 'default'; 2 added); "
        "isolation hid it from later tests but could not delete all of it. "
        "Run with -v 2 to list them, -v 3 for keys."
    ) in run.stderr.splitlines(), run
    report, leaks = read_leaks(path)
    assert leaks == {
        ("test", f"{test}.test_a_leaves_a_key", "default", ("kept:a",)),
        ("test", f"{test}.test_b_leaves_a_key", "default", ("kept:b",)),
    }
    assert [failure["count"] for failure in report["reset_failures"]] == [2]


ATTRIBUTES = "basicapp.tests.test_attributes"


def test_attributes_changed_on_cache_objects_are_put_back_and_reported(
    manage, tmp_path, read_leaks
):
    plain = manage("basic", "test", ATTRIBUTES)
    assert plain.returncode == 1, plain
    assert set(plain.problems) == {
        f"{ATTRIBUTES}.Changes.test_c_sees_the_cache_objects_as_configured",
        f"{ATTRIBUTES}.Changes.test_d_the_objects_are_the_same_ones",
        f"{ATTRIBUTES}.Later.test_the_class_change_is_gone",
    }, plain
    path = tmp_path / "leaks.json"
    run = manage(
        "basic", "isolatedtest", ATTRIBUTES, "-v", "3", "--leak-report", str(path)
    )
    assert run.returncode == 0, run
    assert run.summary == (
        "isolatedtest: 2 tests and 1 class left cache state behind "
        "(3 attributes in 'default', 'other'; 2 added, 1 changed); isolation undid it."
    ), run
    assert "      attribute: key_prefix (changed)" in run.leak_lines, run
    report, _ = read_leaks(path)
    found = {
        (leak["scope"], leak["name"], leak["alias"], tuple(leak["attributes"]))
        for leak in report["leaks"]
    }
    assert found == {
        ("test", f"{ATTRIBUTES}.Changes.test_a_replaces_a_method", "default", ("get",)),
        (
            "test",
            f"{ATTRIBUTES}.Changes.test_b_rebinds_the_key_prefix",
            "other",
            ("key_prefix",),
        ),
        ("class", f"{ATTRIBUTES}.Changes", "default", ("feature_flag",)),
    }
    assert all(leak["keys"] == [] for leak in report["leaks"])


def test_strict_fails_the_tests_that_leave_a_cache_object_changed(manage):
    run = manage("basic", "isolatedtest", ATTRIBUTES, "--strict")
    assert run.returncode == 1, run
    assert run.problems == {
        f"{ATTRIBUTES}.Changes.test_a_replaces_a_method": "FAIL",
        f"{ATTRIBUTES}.Changes.test_b_rebinds_the_key_prefix": "FAIL",
        f"tearDownClass ({ATTRIBUTES}.Changes)": "ERROR",
    }, run
    assert (
        "AssertionError: isolatedtest: this test left cache state behind: alias "
        "'other' (LocMemCache 'basic-other'): attribute 'key_prefix' (changed). Put "
        "the cache object's attributes back before the test ends "
        "(mock.patch.object does)."
    ) in run.problem_text(f"{ATTRIBUTES}.Changes.test_b_rebinds_the_key_prefix"), run
