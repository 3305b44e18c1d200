"""Redis beyond Django's cache interface: django-redis's helpers and raw clients.

Real ``manage.py`` runs of tests/projects/shared's test_redis_api module on
this session's Redis server: hashes, sets and sorted sets, ``keys()`` and
``delete_pattern()``, TTLs set to never expire, ``incr_version()``, locks,
and writes through ``get_redis_connection()`` / ``cache._cache.get_client()``
and their pipelines. Each class's first test writes, its second expects the
class's state only.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest

API = "sharedapp.tests.test_redis_api"
HELPERS = f"{API}.Helpers"
RAW = f"{API}.RawClient"
MARK = b"isolatedtest:"


def redis_client(server, db=1):
    import redis

    return redis.Redis(host=server.host, port=server.port, db=db)


def keys_of_the_module(client, prefix: str) -> list[bytes]:
    """Keys test_redis_api writes, as the server holds them, or isolatedtest's."""
    found = []
    for pattern in (b"raw:*", b"profile", f"{prefix}:*".encode(), MARK + b"*"):
        found += client.keys(pattern)
    return found


@pytest.mark.parametrize("backend", ["redis", "django-redis"])
def test_plain_test_fails_and_isolatedtest_passes_in_every_order(
    manage, server_cache, backend, redis_server, prefix
):
    env = {"FIXTURE_CACHE": server_cache(backend)}
    client = redis_client(redis_server)
    for options in ([], ["--reverse"], ["--parallel", "2"]):
        run = manage("shared", "isolatedtest", API, *options, env=env)
        assert run.returncode == 0, run
        assert keys_of_the_module(client, prefix) == [], (options, run)
    plain = manage("shared", "test", API, env=env)
    expected = {f"{RAW}.test_b_sees_nothing_raw": "FAIL"}
    if backend == "django-redis":
        expected[f"{HELPERS}.test_b_sees_only_the_class_state"] = "FAIL"
    assert plain.problems == expected, plain
    assert keys_of_the_module(client, prefix) != []
    client.delete(*keys_of_the_module(client, prefix))


@pytest.mark.parametrize("backend", ["redis", "django-redis"])
def test_every_write_is_a_leak_named_as_the_code_named_it(
    manage, server_cache, backend, tmp_path, read_leaks
):
    path = tmp_path / "leaks.json"
    run = manage(
        "shared",
        "isolatedtest",
        API,
        "--leak-report",
        str(path),
        env={"FIXTURE_CACHE": server_cache(backend)},
    )
    assert run.returncode == 0, run
    _, leaks = read_leaks(path)
    expected = {
        (
            "test",
            f"{RAW}.test_a_writes_through_the_raw_client",
            "default",
            ("raw:count", "raw:flag", "raw:hash"),
        )
    }
    if backend == "django-redis":
        keys = ("profile", "tags", "user:1", "user:2")
        if version("django-redis") >= "7":  # it has sorted sets
            keys = ("profile", "scores", "tags", "user:1", "user:2")
        expected.add(
            ("test", f"{HELPERS}.test_a_writes_through_the_helpers", "default", keys)
        )
        # It deletes and clears what the class set up.
        deleted = ("profile", "tags", "user:1")
        expected.add(
            ("test", f"{HELPERS}.test_b_sees_only_the_class_state", "default", deleted)
        )
    assert leaks == expected


def test_strict_fails_exactly_the_tests_that_wrote(manage, server_cache):
    run = manage(
        "shared",
        "isolatedtest",
        API,
        "--strict",
        env={"FIXTURE_CACHE": server_cache("django-redis")},
    )
    assert run.returncode == 1, run
    assert run.problems == {
        f"{HELPERS}.test_a_writes_through_the_helpers": "FAIL",
        f"{HELPERS}.test_b_sees_only_the_class_state": "FAIL",
        f"{RAW}.test_a_writes_through_the_raw_client": "FAIL",
    }, run
    assert (
        "'raw:count' (added), 'raw:flag' (added), 'raw:hash' (added)"
        in run.problem_text(f"{RAW}.test_a_writes_through_the_raw_client")
    )


def test_no_isolation_fails_as_plain_test_does(
    manage, server_cache, redis_server, prefix
):
    env = {"FIXTURE_CACHE": server_cache("django-redis")}
    plain = manage("shared", "test", API, env=env)
    client = redis_client(redis_server)
    client.delete(*keys_of_the_module(client, prefix))
    reporting = manage("shared", "isolatedtest", API, "--no-isolation", env=env)
    assert plain.problems != {}
    assert reporting.problems == plain.problems, reporting
    assert "NOT undone (--no-isolation)" in reporting.summary
    # Tests saw each other's writes, in the run's namespace, deleted at its end.
    assert keys_of_the_module(client, prefix) == []
