"""Isolation on real Redis and Memcached servers, and on file and database caches.

Every run here is a real ``manage.py`` subprocess of tests/projects/shared,
against servers this suite started on loopback ports of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import uuid
from urllib.parse import unquote

import pytest
from servers import ALL_BACKENDS, MEMCACHED_BACKENDS, REDIS_BACKENDS

MARK = "isolatedtest:"
WAIT = 120  # seconds a process may take to reach a handshake, or to end


def redis_client(server, db=1):
    import redis

    return redis.Redis(host=server.host, port=server.port, db=db)


def memcached_keys(server) -> dict[str, str]:
    """{key: expiry} of every item on the server, from lru_crawler metadump."""
    from pymemcache.client.base import Client

    client = Client((server.host, server.port))
    try:
        client.sock or client._connect()
        client.sock.sendall(b"lru_crawler metadump all\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            data += client.sock.recv(65536)
    finally:
        client.close()
    items = {}
    for line in data.decode().splitlines():
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if "key" in fields:
            items[unquote(fields["key"])] = fields["exp"]
    return items


def run_keys(backend, server_cache, request) -> list[str]:
    """Keys isolatedtest namespaces left on the backend's server."""
    if backend in REDIS_BACKENDS:
        client = redis_client(request.getfixturevalue("redis_server"))
        return [key.decode() for key in client.scan_iter(match=f"*{MARK}*")]
    if backend in MEMCACHED_BACKENDS:
        server = request.getfixturevalue("memcached_server")
        return [key for key in memcached_keys(server) if MARK in key]
    raise ValueError(backend)


def leaks_of_passing_run(manage, read_leaks, tmp_path, cache, module, tests):
    """Run one sharedapp test module; check it passed; return its leak set."""
    report = tmp_path / "leaks.json"
    run = manage(
        "shared",
        "isolatedtest",
        f"sharedapp.tests.{module}",
        "--leak-report",
        str(report),
        env={"FIXTURE_CACHE": cache},
    )
    assert run.returncode == 0, run
    assert run.ran == tests
    return read_leaks(report)[1]


@pytest.mark.parametrize("backend", ["redis", "pymemcache"])
def test_parallel_workers_collide_under_test_but_not_under_isolatedtest(
    manage, server_cache, backend
):
    env = {"FIXTURE_CACHE": server_cache(backend)}
    label = "sharedapp.tests.test_claims"
    plain = manage("shared", "test", label, "--parallel", "2", env=env)
    assert plain.returncode == 1, plain
    assert "FAIL" in plain.outcome, plain
    isolated = manage("shared", "isolatedtest", label, "--parallel", "2", env=env)
    assert isolated.returncode == 0, isolated
    assert isolated.ran == 8


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_class_state_is_seen_by_each_test_and_undone_after_it(
    manage, server_cache, backend, tmp_path, read_leaks
):
    leaks = leaks_of_passing_run(
        manage, read_leaks, tmp_path, server_cache(backend), "test_class_state", 5
    )
    shop = "sharedapp.tests.test_class_state.ConfiguredShop"
    assert leaks == {
        (
            "test",
            f"{shop}.test_a_changes_everything",
            "default",
            ("config", "extra", "visits"),
        ),
        (
            "test",
            f"{shop}.test_c_clear_only_empties_this_test",
            "default",
            ("after-clear", "config", "visits"),
        ),
        ("class", shop, "default", ("config", "visits")),
    }


@pytest.mark.parametrize("backend", ["redis", "django-redis", "pymemcache", "pylibmc"])
def test_no_key_of_a_parallel_run_remains_on_the_server(
    manage, server_cache, backend, request
):
    run = manage(
        "shared",
        "isolatedtest",
        "--parallel",
        "2",
        env={"FIXTURE_CACHE": server_cache(backend)},
    )
    assert run.returncode == 0, run
    assert run_keys(backend, server_cache, request) == []


def test_foreign_redis_keys_survive_a_parallel_run_that_clears(
    manage, server_cache, redis_server, prefix
):
    """Other prefixes, the project's own prefix outside tests, other databases."""
    foreign = {
        (1, b"other-app:1:session"): ("set", b"payload"),
        (1, f"{prefix}:1:claim".encode()): ("set", b"production value"),
        (1, f"{prefix}:1:hits".encode()): ("hash", {b"n": b"7"}),
        (1, b"ttl-key"): ("ttl", b"expires later"),
        (2, f"{prefix}:1:claim".encode()): ("set", b"another database"),
    }
    for (db, key), (kind, value) in foreign.items():
        client = redis_client(redis_server, db)
        if kind == "hash":
            client.hset(key, mapping=value)
        else:
            client.set(key, value, ex=3600 if kind == "ttl" else None)
    before = {
        (db, key): redis_client(redis_server, db).dump(key) for db, key in foreign
    }
    run = manage(
        "shared",
        "isolatedtest",
        "--parallel",
        "2",
        env={"FIXTURE_CACHE": server_cache("redis")},
    )
    assert run.returncode == 0, run
    after = {(db, key): redis_client(redis_server, db).dump(key) for db, key in foreign}
    assert after == before
    assert redis_client(redis_server).ttl(b"ttl-key") > 0
    for db in (0, 1, 2):
        assert list(redis_client(redis_server, db).scan_iter(match=f"*{MARK}*")) == []


def test_foreign_memcached_keys_survive_a_parallel_run_that_clears(
    manage, server_cache, memcached_server, prefix
):
    from pymemcache.client.base import Client

    client = Client((memcached_server.host, memcached_server.port))
    foreign = {"other-app:1:session": b"payload", f"{prefix}:1:claim": b"production"}
    for key, value in foreign.items():
        client.set(key, value)
    run = manage(
        "shared",
        "isolatedtest",
        "--parallel",
        "2",
        env={"FIXTURE_CACHE": server_cache("pymemcache")},
    )
    assert run.returncode == 0, run
    assert {key: client.get(key) for key in foreign} == foreign
    assert [key for key in memcached_keys(memcached_server) if MARK in key] == []


def test_foreign_files_survive_a_run_that_clears(manage, server_cache, tmp_path):
    config = server_cache("file")
    directory = tmp_path / "file-cache"
    directory.mkdir()
    (directory / "someone-elses.djcache").write_bytes(b"foreign")
    run = manage("shared", "isolatedtest", env={"FIXTURE_CACHE": config})
    assert run.returncode == 0, run
    assert [path.name for path in directory.iterdir()] == ["someone-elses.djcache"]
    assert (directory / "someone-elses.djcache").read_bytes() == b"foreign"


def test_two_runs_at_once_on_one_server_do_not_collide(
    projects_dir, server_cache, redis_server
):
    env = {
        **os.environ,
        "PYTHONPATH": str(projects_dir / "shared"),
        "FIXTURE_CACHE": json.dumps(server_cache("redis")),
    }
    command = [sys.executable, "manage.py", "isolatedtest", "--parallel", "2"]
    runs = [
        subprocess.Popen(
            command,
            cwd=projects_dir / "shared",
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert list(redis_client(redis_server).scan_iter(match=f"*{MARK}*")) == []


@pytest.mark.parametrize("backend", ["redis", "django-redis"])
def test_the_next_run_deletes_what_a_killed_run_left(
    manage, server_cache, backend, request
):
    env = {"FIXTURE_CACHE": server_cache(backend)}
    crashed = manage(
        "shared",
        "isolatedtest",
        "sharedapp.tests.test_crash",
        env={**env, "FIXTURE_CRASH": "1"},
    )
    assert crashed.returncode == -9, crashed
    orphans = run_keys(backend, server_cache, request)
    # The two keys, with the TTLs the test gave them, and the dead process's
    # liveness record.
    assert sorted(key.rsplit(":", 1)[-1] for key in orphans) == [
        "live",
        "orphan-forever",
        "orphan-soon",
    ], orphans
    client = redis_client(request.getfixturevalue("redis_server"))
    ttls = {key.rsplit(":", 1)[-1]: client.ttl(key) for key in orphans}
    assert ttls["orphan-forever"] == -1, ttls
    assert 0 < ttls["orphan-soon"] <= 300, ttls
    next_run = manage("shared", "isolatedtest", "sharedapp.tests.test_claims", env=env)
    assert next_run.returncode == 0, next_run
    assert run_keys(backend, server_cache, request) == []


def test_a_killed_runs_memcached_keys_expire(manage, server_cache, memcached_server):
    crashed = manage(
        "shared",
        "isolatedtest",
        "sharedapp.tests.test_crash",
        env={"FIXTURE_CACHE": server_cache("pymemcache"), "FIXTURE_CRASH": "1"},
    )
    assert crashed.returncode == -9, crashed
    orphans = {
        key: expiry
        for key, expiry in memcached_keys(memcached_server).items()
        if MARK in key
    }
    assert len(orphans) == 2, orphans
    assert all(int(expiry) > 0 for expiry in orphans.values()), orphans


def test_the_run_id_variable_names_the_namespace(manage, server_cache, request):
    run_id = f"ci-shard-{uuid.uuid4().hex[:6]}"
    crashed = manage(
        "shared",
        "isolatedtest",
        "sharedapp.tests.test_crash",
        env={
            "FIXTURE_CACHE": server_cache("redis"),
            "FIXTURE_CRASH": "1",
            "ISOLATEDTEST_RUN_ID": run_id,
        },
    )
    assert crashed.returncode == -9, crashed
    orphans = run_keys("redis", server_cache, request)
    assert len(orphans) == 3  # two keys and the process's liveness record
    assert all(key.startswith(f"{MARK}{run_id}:") for key in orphans), orphans
    # Swept by the next run like any other: its processes are gone.
    env = {"FIXTURE_CACHE": server_cache("redis"), "ISOLATEDTEST_RUN_ID": run_id}
    next_run = manage("shared", "isolatedtest", "sharedapp.tests.test_claims", env=env)
    assert next_run.returncode == 0, next_run
    assert run_keys("redis", server_cache, request) == []


def _read_pids(fifo: int, count: int) -> list[int]:
    """Read ``count`` pids, one a line, from a FIFO."""
    data = b""
    while data.count(b"\n") < count:
        readable, _, _ = select.select([fifo], [], [], WAIT)
        assert readable, f"the workers did not start their tests: {data!r}"
        data += os.read(fifo, 100)
    return [int(line) for line in data.split()]


def _exited(pid: int, timeout: float) -> bool:
    """Wait for a process that is not our child to end."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([handle], [], [], timeout)[0])
    finally:
        os.close(handle)


def test_killing_a_parallel_runs_main_process_ends_its_workers(
    manage, projects_dir, server_cache, request, tmp_path
):
    """Workers end with the main process; a live worker's keys are never swept."""
    for name in ("ready", "release"):
        os.mkfifo(tmp_path / name)
    # Read and write: never at end of file between the workers' writes.
    ready = os.open(tmp_path / "ready", os.O_RDWR)
    cache = server_cache("django-redis")
    env = {
        **os.environ,
        "PYTHONPATH": str(projects_dir / "shared"),
        "FIXTURE_CACHE": json.dumps(cache),
        "FIXTURE_HANDSHAKE": str(tmp_path),
        "ISOLATEDTEST_RUN_ID": f"killed-{uuid.uuid4().hex[:6]}",
    }
    command = [sys.executable, "manage.py", "isolatedtest", "--parallel", "2"]
    main = subprocess.Popen(
        [*command, "sharedapp.tests.test_held"],
        cwd=projects_dir / "shared",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        workers = _read_pids(ready, 2)
        held = run_keys("django-redis", server_cache, request)
        assert sum(key.endswith(":held") for key in held) == 2, held
        # Another run sweeps only what no live process owns.
        other = manage(
            "shared",
            "isolatedtest",
            "sharedapp.tests.test_claims",
            env={"FIXTURE_CACHE": cache},
        )
        assert other.returncode == 0, other
        assert sorted(run_keys("django-redis", server_cache, request)) == sorted(held)
        main.kill()
        main.wait(WAIT)
        assert [pid for pid in workers if not _exited(pid, WAIT)] == []
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        main.kill()
        os.close(ready)
    next_run = manage(
        "shared",
        "isolatedtest",
        "sharedapp.tests.test_claims",
        env={"FIXTURE_CACHE": cache},
    )
    assert next_run.returncode == 0, next_run
    assert run_keys("django-redis", server_cache, request) == []


def test_an_unreachable_server_fails_only_the_test_that_uses_it(manage, server_cache):
    from servers import _free_port

    location = f"redis://127.0.0.1:{_free_port()}/0"
    run = manage(
        "shared",
        "isolatedtest",
        "sharedapp.tests.test_unreachable",
        "sharedapp.tests.test_claims",
        "-v",
        "2",
        env={"FIXTURE_CACHE": server_cache("redis"), "FIXTURE_UNREACHABLE": location},
    )
    assert run.returncode == 1, run
    unreachable = "sharedapp.tests.test_unreachable.Unreachable"
    assert run.problems == {f"{unreachable}.test_uses_the_unreachable_cache": "ERROR"}
    assert run.results[f"{unreachable}.test_fail_open_code_still_works"] == "ok"
    text = run.problem_text(f"{unreachable}.test_uses_the_unreachable_cache")
    assert location.split("//")[1].split("/")[0] in text
    if sys.version_info >= (3, 11):
        assert "cache alias 'flaky'" in text
    assert "could not reset" not in run.stderr


def test_an_alias_no_test_uses_is_never_contacted(manage, server_cache):
    from servers import _free_port

    run = manage(
        "shared",
        "isolatedtest",
        "sharedapp.tests.test_claims",
        "--parallel",
        "2",
        env={
            "FIXTURE_CACHE": server_cache("redis"),
            "FIXTURE_UNREACHABLE": f"redis://127.0.0.1:{_free_port()}/0",
        },
    )
    assert run.returncode == 0, run
    assert "flaky" not in run.output


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_server_threads_captured_objects_and_overridden_aliases_are_isolated(
    manage, server_cache, backend, tmp_path, read_leaks
):
    leaks = leaks_of_passing_run(
        manage, read_leaks, tmp_path, server_cache(backend), "test_reach", 6
    )
    module = "sharedapp.tests.test_reach"
    assert leaks == {
        (
            "test",
            f"{module}.LiveServer.test_a_server_thread_writes",
            "default",
            ("from-server",),
        ),
        (
            "test",
            f"{module}.Captured.test_a_writes_through_the_captured_object",
            "default",
            ("captured",),
        ),
        (
            "test",
            f"{module}.OverriddenAlias.test_a_writes_to_an_alias_settings_did_not_have",
            "second",
            ("overridden",),
        ),
    }


STORES = "sharedapp.tests.test_stores"


def store_counts(run) -> dict[str, int]:
    return {
        name: int(count)
        for name, count in re.findall(r"store-count (\w+): (\d+)", run.stderr)
    }


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_aliases_on_one_store_share_it_as_without_isolation(
    manage, server_cache, backend, tmp_path
):
    config = server_cache(backend)
    env = {"FIXTURE_CACHE": config}
    run = manage("shared", "isolatedtest", STORES, "-v", "2", env=env)
    assert run.returncode == 0, run
    assert run.ran == 6
    if backend not in ("file", "db"):
        return
    # Culling counted and deleted what each test sees: the same numbers as
    # plain `test` running that test alone on a store holding the class state.
    counts = store_counts(run)
    assert set(counts) == {
        "test_a_culls_some_entries",
        "test_c_a_zero_cull_empties_the_store",
    }
    for name, count in counts.items():
        fresh = (
            {**config, "LOCATION": str(tmp_path / name)}
            if backend == "file"
            else config
        )
        plain = manage(
            "shared", "test", f"{STORES}.Culling.{name}", env={"FIXTURE_CACHE": fresh}
        )
        assert plain.returncode == 0, plain
        assert store_counts(plain) == {name: count}, (plain, run)


def test_a_rebound_key_function_still_writes_in_the_runs_namespace(
    manage, server_cache, redis_server, tmp_path, read_leaks
):
    path = tmp_path / "leaks.json"
    run = manage(
        "shared",
        "isolatedtest",
        "sharedapp.tests.test_attributes",
        "--leak-report",
        str(path),
        env={"FIXTURE_CACHE": server_cache("redis")},
    )
    assert run.returncode == 0, run
    client = redis_client(redis_server)
    assert list(client.scan_iter(match="*raw-*")) == []
    assert list(client.scan_iter(match=f"*{MARK}*")) == []
    _, leaks = read_leaks(path)
    changes = "sharedapp.tests.test_attributes.Changes"
    assert {leak[1] for leak in leaks} == {
        f"{changes}.test_a_rebinds_the_key_function_and_prefix"
    }


@pytest.mark.parametrize("backend", ["pymemcache", "pylibmc"])
def test_writes_through_a_memcached_client_itself_are_named(
    manage, server_cache, backend, tmp_path
):
    path = tmp_path / "report.json"
    env = {"FIXTURE_CACHE": server_cache(backend)}
    label = "sharedapp.tests.test_raw_client"
    run = manage("shared", "isolatedtest", label, "--leak-report", str(path), env=env)
    assert run.returncode == 0, run
    name = "PyMemcacheCache" if backend == "pymemcache" else "PyLibMCCache"
    assert re.search(
        r"^isolatedtest: 1 test wrote through the raw client of alias 'default' "
        rf"\({name} '127\.0\.0\.1:\d+'\), which is NOT isolated: "
        r"'raw-token'\. Write through the cache's own methods: they are isolated\.$",
        run.stderr,
        re.M,
    ), run
    report = json.loads(path.read_text())
    assert [(w["name"], w["keys"]) for w in report["raw_writes"]] == [
        (f"{label}.RawClient.test_writes_past_the_cache", ["raw-token"])
    ]
    strict = manage("shared", "isolatedtest", label, "--strict", env=env)
    assert strict.problems == {
        f"{label}.RawClient.test_writes_past_the_cache": "FAIL"
    }, strict
    assert (
        "isolatedtest: this test wrote to a cache: alias 'default'"
        in strict.problem_text(f"{label}.RawClient.test_writes_past_the_cache")
    )
