"""--cache-dependencies: which test reads which other test's leftovers.

The fixture (basic: basicapp/tests/test_dependencies.py) lists the
dependencies it has; the demo's are those its README explains.
"""

from __future__ import annotations

import json

import pytest

MODULE = "basicapp.tests.test_dependencies"
PERSISTENT = {"FIXTURE_ISOLATEDTEST": {"PERSISTENT_KEYS": ["token:*"]}}


def expected(name: str) -> str:
    return f"{MODULE}.{name}"


EXPECTED = {
    (
        expected("ReadLater.test_counts_visits"),
        "visits",
        "incr",
        (expected("LeftBehind.test_leaves_visits"),),
    ),
    (
        expected("ReadLater.test_checks_the_flag"),
        "flag",
        "has_key",
        (expected("LeftBehind.test_leaves_a_flag"),),
    ),
    (
        expected("ReadLater.test_reads_many"),
        "visits",
        "get_many",
        (expected("LeftBehind.test_leaves_visits"),),
    ),
    (
        expected("ReadLater.test_claims_the_slot"),
        "slot",
        "add",
        (expected("LeftBehind.test_leaves_a_slot"),),
    ),
    (
        expected("ReadLater.test_touches_the_session"),
        "session",
        "touch",
        (expected("LeftBehind.test_leaves_a_session"),),
    ),
    (
        expected("ClassState.test_reads_the_class_config"),
        "config",
        "get",
        (expected("ClassState.test_changes_the_config"),),
    ),
}


def graph(path) -> set[tuple]:
    report = json.loads(path.read_text())
    return {
        (item["reader"], item["key"], item["access"], tuple(item["writers"]))
        for item in report["interference"]
    }


def run_graph(manage, tmp_path, *options, project="basic", labels=(MODULE,), env=None):
    path = tmp_path / f"graph-{'-'.join(options) or 'default'}.json"
    run = manage(
        project,
        "isolatedtest",
        *labels,
        "--cache-dependencies",
        "--leak-report",
        str(path),
        *options,
        env=env,
    )
    assert run.returncode == 0, run
    return run, graph(path)


def test_names_each_read_of_another_tests_leftover_and_nothing_else(manage, tmp_path):
    run, found = run_graph(manage, tmp_path, "-v", "3", env=PERSISTENT)
    assert found == EXPECTED
    assert (
        "isolatedtest: 6 tests depend on cache state other tests leave behind "
        "(without isolation, what they see depends on the order):"
    ) in run.stderr, run
    assert (
        f"  {expected('ReadLater.test_counts_visits')}\n"
        f"      reads 'visits' (alias 'default', incr) left by "
        f"{expected('LeftBehind.test_leaves_visits')}\n"
    ) in run.stderr, run


@pytest.mark.parametrize(
    "options",
    [
        ("--reverse",),
        ("--shuffle", "11"),
        ("--shuffle", "12"),
        ("--parallel", "2"),
        ("--parallel", "2", "--reverse"),
    ],
)
def test_the_graph_is_the_same_in_every_order_and_worker(manage, tmp_path, options):
    _, found = run_graph(manage, tmp_path, *options, env=PERSISTENT)
    assert found == EXPECTED


def test_without_isolation_it_names_what_happened_in_that_run(manage, tmp_path):
    path = tmp_path / "graph.json"
    run = manage(
        "basic",
        "isolatedtest",
        MODULE,
        "--cache-dependencies",
        "--no-isolation",
        "--leak-report",
        str(path),
        "-v",
        "2",
        env=PERSISTENT,
    )
    # ClassState.test_reads_the_class_config runs after test_changes_the_config.
    assert run.returncode == 1, run
    found = graph(path)
    assert (
        expected("ClassState.test_reads_the_class_config"),
        "config",
        "get",
        (expected("ClassState.test_changes_the_config"),),
    ) in found
    # ReadLater run after LeftBehind: each read found the writer's value.
    assert (
        expected("ReadLater.test_checks_the_flag"),
        "flag",
        "has_key",
        (expected("LeftBehind.test_leaves_a_flag"),),
    ) in found
    assert "read cache state other tests left behind:" in run.stderr, run


def test_off_by_default_and_quiet_about_it(manage):
    run = manage("basic", "isolatedtest", MODULE)
    assert run.returncode == 0, run
    assert "depend" not in run.stderr


def test_the_same_graph_on_a_shared_server(manage, tmp_path, server_cache):
    env = {
        "FIXTURE_EXTRA_CACHES": {"default": server_cache("redis")},
        **PERSISTENT,
    }
    _, found = run_graph(manage, tmp_path, "--parallel", "2", env=env)
    assert found == EXPECTED
