"""The pytest plugin, end to end: real ``pytest`` runs of a pytest-django project.

tests/projects/pytestproj has plain functions, fixtures of every scope (a
session fixture first set up deep in a module), parametrized, async and
class-based tests, xunit setup_module/setup_class, a Django TestCase with
setUpClass state, tests that
change CACHES with pytest-django's ``settings`` fixture and live-server
tests whose server thread writes the cache. Without isolation
it fails in the files' order; with it, it passes in every order and worker
mode, and the leaks it reports are exactly what each scope left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis

PROJECT = "pytestproj"
LIVE = "tests/test_live_server.py::"
OTHER = "tests/test_other.py::"
SCOPES = "tests/test_scopes.py::"
UNITTEST = "tests/test_unittest.py::CachedTests::"
XUNIT = "tests/test_xunit.py::TestXunit::"

# What plain pytest gets wrong in the files' order: each test sees what an
# earlier one (or an earlier test's fixture) left.
FAIL_WITHOUT_ISOLATION = {
    f"{LIVE}test_first_visit_again",
    f"{OTHER}test_async_again",
    f"{SCOPES}test_counter_again",
    f"{SCOPES}test_module_fixture_intact",
    f"{SCOPES}test_parametrized[2]",
    f"{SCOPES}test_parametrized[3]",
    f"{SCOPES}test_no_function_fixture_leftover",
    f"{SCOPES}TestClassScope::test_class_state_back",
    f"{SCOPES}test_settings_fixture_again",
    f"{UNITTEST}test_b",
    f"{XUNIT}test_sees_class_state_again",
}

# (scope, name, LOCATION, keys) of every leak, in the files' order.
TEST_LEAKS = {
    ("test", f"{LIVE}test_first_visit", "pytest-default", ("visits",)),
    ("test", f"{LIVE}test_first_visit_again", "pytest-default", ("visits",)),
    ("test", f"{OTHER}test_async_write", "pytest-default", ("async-key",)),
    ("test", f"{OTHER}test_async_again", "pytest-default", ("async-key",)),
    ("test", f"{SCOPES}test_counter_starts_empty", "pytest-default", ("counter",)),
    ("test", f"{SCOPES}test_counter_again", "pytest-default", ("counter",)),
    ("test", f"{SCOPES}test_module_fixture_visible", "pytest-default", ("module-key",)),
    ("test", f"{SCOPES}test_module_fixture_intact", "pytest-default", ("module-key",)),
    ("test", f"{SCOPES}test_parametrized[1]", "pytest-default", ("param",)),
    ("test", f"{SCOPES}test_parametrized[2]", "pytest-default", ("param",)),
    ("test", f"{SCOPES}test_parametrized[3]", "pytest-default", ("param",)),
    ("test", f"{SCOPES}test_function_fixture", "pytest-default", ("fn-key",)),
    (
        "test",
        f"{SCOPES}TestClassScope::test_sees_class_state",
        "pytest-default",
        ("class-key",),
    ),
    (
        "test",
        f"{SCOPES}TestClassScope::test_class_state_back",
        "pytest-default",
        ("class-key",),
    ),
    (
        "test",
        f"{SCOPES}test_settings_fixture_changes_caches",
        "overridden",
        ("overridden-key",),
    ),
    ("test", f"{SCOPES}test_settings_fixture_again", "overridden", ("overridden-key",)),
    ("test", f"{UNITTEST}test_a", "pytest-default", ("unittest", "unittest-class")),
    ("test", f"{UNITTEST}test_b", "pytest-default", ("unittest",)),
    (
        "test",
        f"{XUNIT}test_sees_module_and_class_state",
        "pytest-default",
        ("xunit-class",),
    ),
}
SCOPE_LEAKS = {
    # The module fixture's key, not the exempt test's (its module keeps it).
    ("module", "tests/test_scopes.py", "pytest-default", ("module-key",)),
    (
        "class",
        "tests/test_unittest.py::CachedTests",
        "pytest-default",
        ("unittest-class",),
    ),
    # setup_module and setup_class, never cleaned up.
    ("module", "tests/test_xunit.py", "pytest-default", ("xunit-module",)),
    ("class", "tests/test_xunit.py::TestXunit", "pytest-default", ("xunit-class",)),
    # Set up late, inside test_other.py's module: still the session's.
    ("session", "session", "pytest-default", ("session-key",)),
}
LEAKING_TESTS = {name for _, name, _, _ in TEST_LEAKS}


def _leaks(path) -> set[tuple]:
    report = json.loads(path.read_text())
    return {
        (leak["scope"], leak["name"], leak["location"], tuple(sorted(leak["keys"])))
        for leak in report["leaks"]
    }


def test_the_suite_fails_without_isolation(run_pytest):
    run = run_pytest(PROJECT, "-p", "no:isolatedtest")
    assert run.failed == FAIL_WITHOUT_ISOLATION, run.log
    assert "isolatedtest:" not in run.stdout, run.log


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--randomly-seed=1",),
        ("--randomly-seed=2",),
        ("--randomly-seed=3",),
        ("-n", "2"),
        ("-n", "2", "--dist", "loadfile", "--randomly-seed=4"),
        ("-n", "2", "--dist", "worksteal", "--randomly-seed=5"),
    ],
    ids=lambda args: " ".join(args) or "files' order",
)
def test_every_order_and_worker_mode_passes_with_isolation(run_pytest, args):
    run = run_pytest(PROJECT, *args)
    assert run.returncode == 0, run.log
    assert "isolation undid it" in run.summary, run.log


def test_orders_that_differ_fail_differently_without_isolation(run_pytest):
    """Shuffled, other tests fail: the orders above are not all the same order."""
    run = run_pytest(PROJECT, "-p", "no:isolatedtest", "--randomly-seed=2")
    assert run.failed and run.failed != FAIL_WITHOUT_ISOLATION, run.log


def test_leaks_are_named_exactly(run_pytest, tmp_path):
    report = tmp_path / "leaks.json"
    run = run_pytest(PROJECT, "-vv", f"--isolation-report={report}")
    assert run.returncode == 0, run.log
    assert _leaks(report) == TEST_LEAKS | SCOPE_LEAKS
    assert run.summary == (
        "isolatedtest: 19 tests, 2 classes, 2 modules and 1 session left cache "
        "state behind (25 keys in 'default'; 19 added, 5 changed, 1 deleted); "
        "isolation undid it."
    )
    assert "  leak: module tests/test_scopes.py: alias 'default'" in run.stdout


def test_workers_leaks_reach_one_summary_and_report(run_pytest, tmp_path):
    report = tmp_path / "leaks.json"
    run = run_pytest(PROJECT, "-n", "2", f"--isolation-report={report}")
    assert run.returncode == 0, run.log
    leaks = _leaks(report)
    assert {leak for leak in leaks if leak[0] == "test"} == TEST_LEAKS
    # Each worker that ran a test of a module set its fixtures up itself.
    assert {leak[:2] for leak in leaks if leak[0] != "test"} <= {
        leak[:2] for leak in SCOPE_LEAKS
    }


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_strict_fails_exactly_the_leaking_tests(run_pytest, workers):
    run = run_pytest(PROJECT, "--isolation-strict", *workers)
    assert not run.errors, run.log
    assert "this test left cache state behind" in run.stdout, run.log
    # A module's, class's or the session's leak fails the teardown of its
    # last test (in each worker that ran some of it): serially, that is
    # test_xunit.py's last test; with workers, whichever each ran last.
    assert run.failed >= LEAKING_TESTS, run.log
    extra = run.failed - LEAKING_TESTS
    if not workers:
        assert extra == {f"{XUNIT}test_sees_class_state_again"}, run.log
    sections = re.split(r"^_{3,} (.+?) _{3,}$", run.stdout, flags=re.M)
    text = dict(zip(sections[1::2], sections[2::2], strict=True))
    for name in extra:
        title = name.split("::", 1)[1].replace("::", ".")
        assert re.search(r"this (module|class|session) left", text[title]), run.log


def test_no_isolation_reports_without_undoing(run_pytest, tmp_path):
    report = tmp_path / "leaks.json"
    run = run_pytest(PROJECT, "--no-isolation", f"--isolation-report={report}")
    assert run.failed == FAIL_WITHOUT_ISOLATION, run.log
    assert "it was NOT undone (--no-isolation)" in run.summary
    assert json.loads(report.read_text())["isolation"] is False


def test_options_come_from_the_command_line_then_environment_then_ini(run_pytest):
    ini = ("-o", "isolation_strict=true")
    assert run_pytest(PROJECT, *ini).failed >= LEAKING_TESTS
    off = run_pytest(PROJECT, *ini, env={"ISOLATEDTEST_STRICT": "0"})
    assert off.returncode == 0, off.log
    on = run_pytest(PROJECT, "--isolation-strict", env={"ISOLATEDTEST_STRICT": "0"})
    assert on.failed >= LEAKING_TESTS, on.log
    wrong = run_pytest(PROJECT, env={"ISOLATEDTEST_STRICT": "maybe"})
    assert wrong.returncode == 4, wrong.log  # pytest's usage error
    assert "ISOLATEDTEST_STRICT='maybe' is not a yes or no" in wrong.stderr


def test_turned_off_with_p_no(run_pytest):
    run = run_pytest(PROJECT, "-p", "no:isolatedtest", "--randomly-seed=1")
    assert run.failed, run.log
    assert "isolatedtest" not in run.stdout


@pytest.mark.parametrize("backend", ["redis", "pymemcache"])
def test_workers_on_a_shared_server(run_pytest, server_cache, prefix, backend):
    cache = server_cache(backend)
    env = {"FIXTURE_CACHE": cache}
    if backend == "redis":
        client = redis.Redis.from_url(cache["LOCATION"])
        # Someone else's data, in the run's own prefix and beside it.
        foreign = {f"{prefix}:1:counter": b"41", f"other-{prefix}:1:x": b"\x00y"}
        client.mset(foreign)
    run = run_pytest(PROJECT, "-n", "2", env=env)
    assert run.returncode == 0, run.log
    if backend == "redis":
        mine = list(client.scan_iter(match=f"{prefix}:isolatedtest:*"))
        assert mine == [], "the run left keys on the server"
        assert client.mget(list(foreign)) == list(foreign.values())
        client.delete(*foreign)
    plain = run_pytest(PROJECT, "-p", "no:isolatedtest", "-n", "2", env=env)
    assert plain.failed, plain.log


def test_settings_configured_in_conftest(run_pytest, projects_dir):
    """A conftest.py that calls settings.configure() is a configured run too."""
    project = projects_dir / "pytest_conftest_settings"
    (project / "tests").mkdir(parents=True, exist_ok=True)
    (project / "conftest.py").write_text(
        "from django.conf import settings\n\n"
        "settings.configure(CACHES={'default': {'BACKEND': "
        "'django.core.cache.backends.locmem.LocMemCache'}})\n"
    )
    (project / "tests" / "test_it.py").write_text(
        "from django.core.cache import cache\n\n"
        "def test_a():\n    assert cache.get('k') is None\n    cache.set('k', 1)\n\n"
        "def test_b():\n    assert cache.get('k') is None\n    cache.set('k', 2)\n"
    )
    assert run_pytest(project.name, "-p", "no:isolatedtest").failed == {
        "tests/test_it.py::test_b"
    }
    run = run_pytest(project.name)
    assert run.returncode == 0, run.log
    assert "2 tests left cache state behind" in run.summary


def test_without_django_settings_it_says_so(run_pytest, projects_dir):
    project = projects_dir / "pytest_no_django"
    project.mkdir(exist_ok=True)
    (project / "test_plain.py").write_text("def test_nothing():\n    pass\n")
    run = run_pytest(project.name)
    assert run.returncode == 0, run.log
    assert "isolatedtest: Django is not configured" in run.stdout, run.log
    assert "caches are NOT isolated" in run.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "demo"
    demo = Path(__file__).parent.parent / "demo"
    shutil.copytree(demo, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.mark.parametrize(
    "args",
    [(), ("--randomly-seed=1",), ("-n", "2", "--dist", "loadfile")],
    ids=["files' order", "shuffled", "xdist"],
)
def test_the_demo_under_pytest(run_pytest, demo, args):
    """demo/pytest.ini runs the same suite with pytest-django.

    With workers, a file's tests stay together (loadfile), so that plain
    pytest's failures do not depend on how xdist happens to spread them.
    """
    plain = run_pytest(demo, "-p", "no:isolatedtest", *args)
    assert plain.failed, plain.log
    run = run_pytest(demo, *args)
    assert run.returncode == 0, run.log
    assert run.summary.startswith("isolatedtest: 18 tests and 1 class"), run.log


def test_stopping_early_still_closes_every_scope(run_pytest, tmp_path):
    """-x stops inside a module: pytest tears it down at the session's end."""
    report = tmp_path / "leaks.json"
    run = run_pytest(
        PROJECT, "--isolation-strict", "-x", f"--isolation-report={report}"
    )
    assert run.returncode == 1, run.log
    assert len(run.failed) == 1, run.log
    assert "INTERNALERROR" not in run.stdout + run.stderr, run.log
    assert "isolatedtest: 1 test" in run.summary, run.log


def test_a_worker_that_crashed_is_replaced(run_pytest, tmp_path):
    """The replacement worker gets the run id; the others' leaks still arrive."""
    report = tmp_path / "leaks.json"
    run = run_pytest(
        PROJECT,
        "-n",
        "2",
        "--max-worker-restart=1",
        f"--isolation-report={report}",
        env={"FIXTURE_CRASH": "1"},
    )
    assert run.failed == {"tests/test_crash.py::test_kills_its_worker"}, run.log
    assert "isolation undid it" in run.summary, run.log
    # What the crashed worker's tests leaked is lost with it; the rest is there.
    names = {name for _, name, _, _ in _leaks(report)}
    assert names and names <= LEAKING_TESTS | {leak[1] for leak in SCOPE_LEAKS}


def test_a_wrong_setting_stops_the_run_with_a_usage_error(run_pytest):
    run = run_pytest(PROJECT, env={"FIXTURE_ISOLATEDTEST": {"EXCLUDE_ALIASES": ["x"]}})
    assert run.returncode == 4, run.log  # pytest's usage error, before any test
    assert "isolatedtest: ISOLATEDTEST['EXCLUDE_ALIASES'] names 'x'" in run.stderr
    assert " passed" not in run.stdout, run.log


def _pairs(path: Path) -> set[tuple[str, str]]:
    """(reader, writer) of a report's dependencies, named module.Class.test."""

    def name(node: str) -> str:
        if "::" in node:  # pytest: shop/tests/test_x.py::Class::test
            path, _, rest = node.partition("::")
            node = f"{Path(path).stem}.{rest.replace('::', '.')}"
        return node.removeprefix("shop.tests.")

    return {
        (name(item["reader"]), name(writer))
        for item in json.loads(path.read_text())["interference"]
        for writer in item["writers"]
    }


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_cache_dependencies_names_the_pairs_the_command_names(
    run_pytest, demo, tmp_path, workers
):
    command_report, pytest_report = tmp_path / "command.json", tmp_path / "pytest.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISOLATEDTEST_")}
    options = ["--cache-dependencies", "--leak-report", str(command_report)]
    command = subprocess.run(
        [sys.executable, "manage.py", "isolatedtest", *options],
        cwd=demo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert command.returncode == 0, command.stderr
    run = run_pytest(
        demo,
        *workers,
        f"--isolation-report={pytest_report}",
        env={"ISOLATEDTEST_DEPENDENCIES": "1"},  # as --cache-dependencies
    )
    assert run.returncode == 0, run.log
    assert "tests depend on cache state other tests leave behind" in run.stdout
    pairs = _pairs(command_report)
    assert pairs, command.stderr
    assert _pairs(pytest_report) == pairs
