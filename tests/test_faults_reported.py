"""Nothing of isolatedtest's reaches a test, and nothing it meets goes unsaid.

What fails in isolatedtest outside a test's own calls (adopting a cache
instance, a signal's receiver, a resource's start in a worker, a wider
fixture's set-up) is a failed reset in the summary and the report, naming
the resource; the test's outcome is what plain ``test`` gives.
"""

import json

import pytest

HINT = "Run with -v 2 to list them, -v 3 for keys."
SEALED = {
    "sealed": {
        "BACKEND": "basicapp.backends.SealedLocMemCache",
        "LOCATION": "basic-sealed",
    }
}


def failures(run) -> list[str]:
    output = run.stdout + run.stderr
    return [line for line in output.splitlines() if "could not reset" in line]


def test_an_instance_that_cannot_be_adopted_is_reported_not_raised(manage, tmp_path):
    env = {"FIXTURE_EXTRA_CACHES": SEALED}
    module = "basicapp.tests.test_sealed"
    plain = manage("basic", "test", module, env=env)
    assert plain.problems == {
        f"{module}.SealedTests.test_2_does_not_see_the_earlier_write": "FAIL"
    }, plain.log
    report = tmp_path / "report.json"
    run = manage("basic", "isolatedtest", module, "--leak-report", str(report), env=env)
    assert run.problems == {}, run.log
    assert run.returncode == 0, run.log
    assert run.stderr.count("isolation undid it. " + HINT) == 1, run.log
    [line] = failures(run)
    assert "could not reset AttributeResource '' after test " in line, run.log
    assert "TypeError('SealedLocMemCache is final')" in line, run.log
    [failure] = json.loads(report.read_text())["reset_failures"]
    assert failure["backend"] == "AttributeResource", failure


def test_a_settings_receiver_that_refuses_is_reported_not_raised(
    manage, server_cache, redis_server
):
    default = server_cache("redis")
    locks = {**default, "LOCATION": f"redis://{redis_server.address}/2"}
    env = {
        "FIXTURE_CACHE": default,
        "FIXTURE_EXTRA_CACHES": {"locks": locks},
        "FIXTURE_ISOLATEDTEST": {"EXCLUDE_ALIASES": ["locks"]},
    }
    run = manage(
        "shared", "isolatedtest", "sharedapp.tests.test_override_excluded", env=env
    )
    assert run.problems == {}, run.log
    [line] = failures(run)
    assert "could not reset RedisResource" in line, run.log
    assert "ConfigurationError" in line and "'locks'" in line, run.log


def test_a_resource_failing_in_a_worker_or_a_wider_fixture_is_reported(
    manage, run_pytest
):
    env = {"PYTHONPATH": "plugins", "FIXTURE_FAULTY": "1"}
    run = manage(
        "outside",
        "isolatedtest",
        "fixture_plugin_tests",
        "shop.tests.test_fills",  # two classes more: two workers
        "--parallel",
        "2",
        env=env,
        start_method="fork",
    )
    assert "Cloning test database" in run.stderr, run.log
    assert any(
        "FaultyResource 'faulty'" in line and "start_worker fails" in line
        for line in failures(run)
    ), run.log
    late = run_pytest("outside", "shop/tests/test_module_fixture.py", env=env)
    assert late.returncode == 0, late.log
    said = "\n".join(failures(late))
    assert "RuntimeError('begin_fixture fails')" in said, late.log
    assert "RuntimeError('end_fixture fails')" in said, late.log


def test_the_xdist_report_names_what_is_not_isolated(run_pytest, tmp_path):
    report = tmp_path / "report.json"
    env = {"FIXTURE_EXTRA_CACHES": {"remote": {"BACKEND": "remote.RemoteCache"}}}
    run = run_pytest("pytestproj", "-n", "2", f"--isolation-report={report}", env=env)
    assert run.returncode == 0, run.log
    assert json.loads(report.read_text())["not_isolated"] == [
        {
            "alias": "remote",
            "backend": "remote.RemoteCache",
            "reason": "which isolatedtest has no strategy for",
        }
    ], run.log


def test_a_copy_the_server_refuses_is_reported(manage, server_cache, redis_server):
    import redis

    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    client.acl_setuser(
        "nocopy",
        enabled=True,
        passwords=["+secret"],
        keys=["*"],
        commands=["+@all", "-copy"],
    )
    location = f"redis://nocopy:secret@{redis_server.address}/4"
    env = {"FIXTURE_CACHE": {**server_cache("redis"), "LOCATION": location}}
    module = "sharedapp.tests.test_copy_refused"
    plain = manage("shared", "test", module, env=env)
    assert plain.returncode == 0, plain.log
    run = manage("shared", "isolatedtest", module, env=env)
    # The test cannot see its class's key: the run says why.
    assert run.problems == {f"{module}.ClassKeyTests.test_reads_the_class_key": "FAIL"}
    [line] = failures(run)
    assert (
        "isolatedtest: could not reset alias 'default' (RedisCache "
        f"'redis://nocopy:***@{redis_server.address}/4') after test {module}."
        "ClassKeyTests.test_reads_the_class_key: "
        "NoPermissionError: this user has no permissions to run the 'copy' command"
    ) == line, run.log


@pytest.mark.parametrize("backend", ["redis", "django-redis"])
def test_isolatedtests_own_redis_commands_take_no_connection_of_the_application(
    manage, server_cache, backend
):
    module = "sharedapp.tests.test_pool_checkouts"
    env = {"FIXTURE_CACHE": server_cache(backend)}
    run = manage("shared", "isolatedtest", module, env=env)
    assert run.returncode == 0, run.log


@pytest.mark.parametrize("mode", [(), ("--no-isolation",)], ids=["isolated", "report"])
def test_flushdb_deletes_what_the_test_saw_at_once(
    manage, server_cache, redis_server, mode
):
    module = "sharedapp.tests.test_flush_scan"

    def on_database(db: int) -> dict:
        location = f"redis://{redis_server.address}/{db}"
        cache = {**server_cache("redis"), "LOCATION": location}
        return {"FIXTURE_CACHE": cache, "FIXTURE_OWN_DATABASE": "1"}

    plain = manage("shared", "test", module, env=on_database(6))
    assert plain.returncode == 0, plain.log
    run = manage("shared", "isolatedtest", module, *mode, env=on_database(7))
    assert run.problems == {}, run.log
    assert run.ran == 1 and "skipped" not in run.outcome, run.log
