"""End to end on the installed Django and Python: kinds of tests, runners, options.

The fixture project (compat) has, in compatapp/tests/:

- test_kinds: a TransactionTestCase with serialized_rollback, a
  StaticLiveServerTestCase whose server thread writes through a view, async
  tests, subTest, skipped tests and a skipped class, expectedFailure and
  override_settings(CACHES=...) on a class and on methods; test_doctests adds
  doctests through load_tests. Every test writes a key and then checks that
  the cache holds exactly its class's setup key and its own key (checks.py).
- test_class_errors: a setUpClass and a tearDownClass that raise after
  writing, each followed by a class that must see none of it.
- test_drf: DRF's APITestCase and APISimpleTestCase against a view throttled
  by AnonRateThrottle (3/min), whose request history lives in the cache.
- test_order: an order-dependent suite (three classes), the target of the
  runner options; test_failing: two failing tests around a passing one.

Each feature is checked both ways: plain ``manage.py test`` fails where a
test sees another's writes (so the checks can fail), ``manage.py
isolatedtest`` passes. DRF and unittest-xml-reporting tests are skipped when
those packages are missing, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import xml.etree.ElementTree as ET
from importlib.util import find_spec

import django
import pytest

PROJECT = "compat"
APP = "compatapp.tests"
KINDS = f"{APP}.test_kinds"
DOCTESTS = f"{APP}.test_doctests"
ERRORS = f"{APP}.test_class_errors"
DRF = f"{APP}.test_drf"
ORDER = f"{APP}.test_order"
FAILING = f"{APP}.test_failing"

HAS_DRF = find_spec("rest_framework") is not None
XML_RUNNER = "xmlrunner.extra.djangotestrunner.XMLTestRunner"
PASSING_NOISE = "NOISE FROM A PASSING TEST"
FAILING_NOISE = "NOISE FROM A FAILING TEST"

# {class of test_kinds: (its test that runs second, the key the first wrote)}.
# Under plain `test` the second test fails, seeing the first one's key.
KIND_CLASSES = {
    "SerializedRollbackTests": ("test_b", "rollback:a"),
    "StaticLiveServerTests": ("test_b", "static:a"),
    "AsyncTests": ("test_b", "async:a"),
    "SubTestTests": ("test_b", "subtest:a0"),
    "SkipsTests": ("test_b", "skips:a"),
    "ExpectedFailureTests": ("test_b", "expectedfailure:a"),
    "OverrideClassTests": ("test_b", "overrideclass:a"),
    "OverrideMethodTests": ("test_b", "overridemethod:a"),
}
ORDER_TESTS = [
    f"{ORDER}.OrderATests.test_a",
    f"{ORDER}.OrderATests.test_b",
    f"{ORDER}.OrderATests.test_c_slow",
    f"{ORDER}.OrderBTests.test_a",
    f"{ORDER}.OrderBTests.test_b",
    f"{ORDER}.OrderCTests.test_a",
    f"{ORDER}.OrderCTests.test_b",
]
KINDS_COUNT = 18  # tests in test_kinds
# CPython 3.12.1 leaves the tests skipped before they start (a skip decorator,
# a skipped class: two in test_kinds) out of "Ran N tests" (gh-106584,
# reverted in 3.12.2 by gh-113267).
UNCOUNTED_SKIPS = 2 if sys.version_info[:3] == (3, 12, 1) else 0
KINDS_OUTCOME = "OK (skipped=3, expected failures=1)"
DRF_COUNT = 4
_DOCTEST_RESULT = re.compile(r"^Doctest: ([\w.]+) \.\.\. (.*)$", re.M)


def require(module: str, package: str) -> None:
    """Skip unless ``module`` is importable; in CI, fail instead."""
    if find_spec(module) is None:
        message = f"{package} is not installed (pip install {package})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run these tests")
        pytest.skip(message)


def doctest_results(run) -> dict[str, str]:
    """{doctest id: result}, from -v 2 output ('Doctest: x.y ... ok')."""
    return dict(_DOCTEST_RESULT.findall(run.stderr))


def parallel_labels() -> list[str]:
    return [KINDS, ORDER, *([DRF] if HAS_DRF else [])]


def parallel_count() -> int:
    drf = DRF_COUNT if HAS_DRF else 0
    return KINDS_COUNT - UNCOUNTED_SKIPS + len(ORDER_TESTS) + drf


# --- Kinds of tests ----------------------------------------------------------


@pytest.fixture(scope="module")
def kinds_run(manage, tmp_path_factory):
    report = tmp_path_factory.mktemp("kinds") / "leaks.json"
    run = manage(
        PROJECT,
        "isolatedtest",
        KINDS,
        DOCTESTS,
        "-v",
        "2",
        "--leak-report",
        str(report),
    )
    return run, report


@pytest.fixture(scope="module")
def kinds_plain_run(manage):
    return manage(PROJECT, "test", KINDS, DOCTESTS, "-v", "2")


def test_isolatedtest_passes_every_kind_of_test(kinds_run, kinds_plain_run):
    run, _ = kinds_run
    assert run.returncode == 0, run.log
    assert run.ran == KINDS_COUNT + 2 - UNCOUNTED_SKIPS, run.log
    assert kinds_plain_run.ran == run.ran, kinds_plain_run.log
    assert run.outcome == KINDS_OUTCOME, run.log
    assert run.problems == {}, run.log


@pytest.mark.parametrize("cls", KIND_CLASSES)
def test_plain_test_lets_the_first_test_of_each_kind_reach_the_second(
    kinds_plain_run, cls
):
    second, key = KIND_CLASSES[cls]
    test_id = f"{KINDS}.{cls}.{second}"
    run = kinds_plain_run
    assert run.problems.get(test_id) == "FAIL", run.log
    assert repr(key) in run.problem_text(test_id), run.log


@pytest.mark.parametrize("cls", KIND_CLASSES)
def test_isolatedtest_passes_both_tests_of_each_kind(kinds_run, cls):
    run, _ = kinds_run
    results = {
        name.rsplit(".", 1)[-1]: result
        for name, result in run.results.items()
        if name.startswith(f"{KINDS}.{cls}.")
    }
    first = {
        "SkipsTests": "skipped 'skipped after writing'",
        "ExpectedFailureTests": "expected failure",
    }.get(cls, "ok")
    assert results["test_b"] == "ok", run.log
    first_name = "test_a_writes_then_skips" if cls == "SkipsTests" else "test_a"
    assert results[first_name] == first, run.log


def test_skipped_tests_and_classes_do_not_run(kinds_run):
    run, _ = kinds_run
    assert run.results[f"{KINDS}.SkipsTests.test_0_skipped"] == (
        "skipped 'skipped by a decorator'"
    ), run.log
    assert run.results[f"{KINDS}.SkippedClassTests.test_a"] == (
        "skipped 'a skipped class'"
    ), run.log


def test_doctests_loaded_through_load_tests_are_isolated(kinds_run, kinds_plain_run):
    run, _ = kinds_run
    assert doctest_results(run) == {
        "compatapp.docs.first": "ok",
        "compatapp.docs.second": "ok",
    }, run.log
    plain = kinds_plain_run
    assert plain.problems.get("compatapp.docs.second") == "FAIL", plain.log
    assert "'doctest:a': 'a'" in plain.problem_text("compatapp.docs.second")


def test_every_write_is_found_as_the_leak_of_the_test_or_class_that_made_it(
    kinds_run, read_leaks
):
    """Including the live server thread's writes and override_settings stores."""
    run, report = kinds_run
    _, leaks = read_leaks(report)
    expected = set()
    for kind, cls, first in [
        ("rollback", "SerializedRollbackTests", "test_a"),
        ("static", "StaticLiveServerTests", "test_a"),
        ("async", "AsyncTests", "test_a"),
        ("subtest", "SubTestTests", None),
        ("skips", "SkipsTests", "test_a_writes_then_skips"),
        ("expectedfailure", "ExpectedFailureTests", "test_a"),
        ("overrideclass", "OverrideClassTests", "test_a"),
        ("overridemethod", "OverrideMethodTests", "test_a"),
    ]:
        name = f"{KINDS}.{cls}"
        if first is not None:
            expected.add(("test", f"{name}.{first}", "default", (f"{kind}:a",)))
        expected.add(("test", f"{name}.test_b", "default", (f"{kind}:b",)))
        if kind != "overridemethod":
            expected.add(("class", name, "default", (f"{kind}:setup",)))
    expected.add(
        (
            "test",
            f"{KINDS}.SubTestTests.test_a",
            "default",
            ("subtest:a0", "subtest:a1", "subtest:a2"),
        )
    )
    expected.add(("test", "compatapp.docs.first", "default", ("doctest:a",)))
    expected.add(("test", "compatapp.docs.second", "default", ("doctest:b",)))
    assert leaks == expected, run.log


# --- Errors in class setup and teardown ---------------------------------------


ERRORS_SETUP_FAILED = f"setUpClass ({ERRORS}.A1SetUpClassErrorTests)"
ERRORS_TEARDOWN_FAILED = f"tearDownClass ({ERRORS}.B1TearDownClassErrorTests)"
ERRORS_FAILING_CLASS_TEST = f"{ERRORS}.B1TearDownClassErrorTests.test_a"
ERRORS_AFTER_SETUP = (
    f"{ERRORS}.A2AfterSetUpClassErrorTests.test_sees_nothing_of_the_failed_setup"
)
ERRORS_AFTER_TEARDOWN = (
    f"{ERRORS}.B2AfterTearDownClassErrorTests.test_sees_nothing_of_the_failed_class"
)


def test_plain_test_lets_failed_class_setup_and_teardown_writes_through(manage):
    run = manage(PROJECT, "test", ERRORS, "-v", "2")
    assert run.returncode == 1, run.log
    assert run.problems == {
        ERRORS_SETUP_FAILED: "ERROR",
        ERRORS_AFTER_SETUP: "FAIL",
        ERRORS_FAILING_CLASS_TEST: "FAIL",
        ERRORS_TEARDOWN_FAILED: "ERROR",
        ERRORS_AFTER_TEARDOWN: "FAIL",
    }, run.log
    assert "'errors:partial'" in run.problem_text(ERRORS_AFTER_SETUP), run.log
    assert "'errors:c'" in run.problem_text(ERRORS_AFTER_TEARDOWN), run.log


def test_writes_of_failed_class_setup_and_teardown_do_not_reach_the_next_class(
    manage, tmp_path, read_leaks
):
    report = tmp_path / "leaks.json"
    run = manage(
        PROJECT, "isolatedtest", ERRORS, "-v", "2", "--leak-report", str(report)
    )
    assert run.returncode == 1, run.log
    assert run.outcome == "FAILED (errors=2)", run.log
    assert run.problems == {
        ERRORS_SETUP_FAILED: "ERROR",
        ERRORS_TEARDOWN_FAILED: "ERROR",
    }, run.log
    for test in [ERRORS_AFTER_SETUP, ERRORS_FAILING_CLASS_TEST, ERRORS_AFTER_TEARDOWN]:
        assert run.results[test] == "ok", run.log
    # What tearDownClass wrote before failing is the class's leak.
    _, leaks = read_leaks(report)
    assert (
        "class",
        f"{ERRORS}.B1TearDownClassErrorTests",
        "default",
        ("errors:c", "errors:setup"),
    ) in leaks, run.log


# --- DRF ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drf_runs(manage, tmp_path_factory):
    require("rest_framework", "djangorestframework")
    report = tmp_path_factory.mktemp("drf") / "leaks.json"
    isolated = manage(
        PROJECT, "isolatedtest", DRF, "-v", "2", "--leak-report", str(report)
    )
    plain = manage(PROJECT, "test", DRF, "-v", "2")
    return isolated, plain, report


DRF_TESTS = [
    f"{DRF}.{cls}.test_{part}_three_requests_pass_then_the_fourth_is_throttled"
    for cls in ["APITestCaseThrottleTests", "APISimpleTestCaseThrottleTests"]
    for part in "ab"
]


def test_plain_test_lets_drf_throttling_reach_the_next_test_class(drf_runs):
    _, plain, _ = drf_runs
    assert plain.returncode == 1, plain.log
    # APITestCase (a TestCase) runs before APISimpleTestCase; its requests
    # throttle the next class's very first one.
    first_of_next_class = DRF_TESTS[2]
    assert plain.results[DRF_TESTS[0]] == "ok", plain.log
    assert plain.problems.get(first_of_next_class) == "FAIL", plain.log
    assert "[429, 429, 429, 429]" in plain.problem_text(first_of_next_class)


def test_isolatedtest_resets_drf_throttling_for_each_test(drf_runs, read_leaks):
    isolated, _, report = drf_runs
    assert isolated.returncode == 0, isolated.log
    assert isolated.outcome == "OK", isolated.log
    assert {test: isolated.results.get(test) for test in DRF_TESTS} == dict.fromkeys(
        DRF_TESTS, "ok"
    ), isolated.log
    _, leaks = read_leaks(report)
    assert leaks == {
        ("test", test, "default", ("throttle_anon_127.0.0.1",)) for test in DRF_TESTS
    }, isolated.log


# --- Runner options -------------------------------------------------------------


@pytest.fixture(scope="module")
def order_run(manage):
    return manage(PROJECT, "isolatedtest", ORDER, "-v", "2")


def test_plain_test_fails_the_order_dependent_suite(manage):
    run = manage(PROJECT, "test", ORDER)
    assert run.returncode == 1, run.log
    assert run.outcome == "FAILED (failures=6)", run.log


def test_isolatedtest_passes_the_order_dependent_suite(order_run):
    run = order_run
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert sorted(run.run_order) == ORDER_TESTS, run.log
    # Without --buffer, a passing test's output is shown.
    assert PASSING_NOISE in run.stdout, run.log


@pytest.mark.parametrize("command", ["test", "isolatedtest"])
def test_option_reverse(manage, order_run, command):
    run = manage(PROJECT, command, ORDER, "--reverse", "-v", "2")
    if command == "test":
        assert run.returncode == 1, run.log
        return
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    for cls in ["OrderATests", "OrderBTests", "OrderCTests"]:
        default = [test for test in order_run.run_order if f".{cls}." in test]
        reverse = [test for test in run.run_order if f".{cls}." in test]
        assert reverse == default[::-1], run.log


@pytest.mark.parametrize("command", ["test", "isolatedtest"])
def test_option_shuffle(manage, command):
    run = manage(PROJECT, command, ORDER, "--shuffle", "2", "-v", "2")
    assert "Used shuffle seed: 2 (given)" in run.output, run.log
    if command == "test":
        assert run.returncode == 1, run.log
        return
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert sorted(run.run_order) == ORDER_TESTS, run.log


def test_option_k_selects_tests_by_name(manage):
    run = manage(PROJECT, "isolatedtest", ORDER, "-k", "OrderA", "-v", "2")
    assert run.returncode == 0, run.log
    assert run.run_order == ORDER_TESTS[:3], run.log


def test_option_tag_and_exclude_tag(manage):
    tagged = manage(PROJECT, "isolatedtest", ORDER, "--tag", "slow", "-v", "2")
    assert tagged.returncode == 0, tagged.log
    assert tagged.run_order == [f"{ORDER}.OrderATests.test_c_slow"], tagged.log
    excluded = manage(
        PROJECT, "isolatedtest", ORDER, "--exclude-tag", "slow", "-v", "2"
    )
    assert excluded.returncode == 0, excluded.log
    assert sorted(excluded.run_order) == [
        test for test in ORDER_TESTS if not test.endswith("_slow")
    ], excluded.log


def test_buffer_hides_the_output_of_passing_tests_only(manage):
    run = manage(PROJECT, "isolatedtest", ORDER, FAILING, "--buffer")
    assert run.returncode == 1, run.log
    assert run.outcome == "FAILED (failures=2)", run.log
    assert PASSING_NOISE not in run.output, run.log
    failure = run.problem_text(f"{FAILING}.FailingTests.test_a_fails_after_a_query")
    assert FAILING_NOISE in failure, run.log


def test_pdb_with_a_passing_suite(manage):
    run = manage(PROJECT, "isolatedtest", ORDER, "--pdb")
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert "Opening PDB" not in run.output, run.log
    assert run.summary.startswith("isolatedtest: 7 tests and 2 classes left"), run.log


def test_debug_sql_prints_the_sql_of_a_failing_test(manage):
    run = manage(PROJECT, "isolatedtest", FAILING, "--debug-sql", "-v", "2")
    assert run.returncode == 1, run.log
    assert run.outcome == "FAILED (failures=2)", run.log
    assert run.results[f"{FAILING}.FailingTests.test_b_sees_only_its_class_state"] == (
        "ok"
    ), run.log
    failure = run.problem_text(f"{FAILING}.FailingTests.test_a_fails_after_a_query")
    assert re.search(
        r"FROM \"compatapp_item\".*looked-up-by-a-failing-test", failure, re.S
    ), run.log


def test_plain_test_lets_a_failing_tests_write_reach_the_next_test(manage):
    run = manage(PROJECT, "test", FAILING)
    assert run.returncode == 1, run.log
    assert run.outcome == "FAILED (failures=3)", run.log


def test_isolatedtest_keeps_a_failing_tests_write_from_the_next_test(manage):
    run = manage(PROJECT, "isolatedtest", FAILING, "-v", "2")
    assert run.returncode == 1, run.log
    assert run.outcome == "FAILED (failures=2)", run.log
    assert run.results[f"{FAILING}.FailingTests.test_b_sees_only_its_class_state"] == (
        "ok"
    ), run.log


def test_failfast_stops_at_the_first_failure(manage):
    run = manage(PROJECT, "isolatedtest", FAILING, "--failfast")
    assert run.returncode == 1, run.log
    assert run.ran == 1, run.log
    assert run.outcome == "FAILED (failures=1)", run.log
    # The failing test's write and its class's were still found and undone.
    assert run.summary.startswith("isolatedtest: 1 test and 1 class left"), run.log


@pytest.mark.skipif(
    sys.version_info < (3, 12) or django.VERSION < (5, 0),
    reason="--durations needs Python 3.12 and Django 5.0",
)
def test_durations_lists_the_slowest_tests(manage):
    run = manage(PROJECT, "isolatedtest", ORDER, "--durations", "2", "-v", "2")
    assert run.returncode == 0, run.log
    section = run.stderr.split("Slowest test durations\n", 1)[1]
    lines = section.split("\n\n", 1)[0].splitlines()[1:]
    assert len(lines) == 2, run.log
    for line in lines:
        assert re.match(rf"^\d+\.\d{{3}}s +\w+ \({re.escape(ORDER)}\.", line), run.log


def test_option_timing_prints_the_timings(manage):
    run = manage(PROJECT, "isolatedtest", ORDER, "--timing")
    assert run.returncode == 0, run.log
    assert re.search(r"^Total database setup took \d+\.\d{3}s$", run.stderr, re.M)
    assert re.search(r"^Total run took \d+\.\d{3}s$", run.stderr, re.M), run.log


def test_option_keepdb_keeps_the_test_database_between_runs(manage, tmp_path):
    database = tmp_path / "kept.sqlite3"
    env = {"FIXTURE_TEST_DB": str(database)}
    dropped = manage(PROJECT, "isolatedtest", ORDER, env=env)
    assert dropped.returncode == 0, dropped.log
    assert not database.exists(), dropped.log
    first = manage(PROJECT, "isolatedtest", ORDER, "--keepdb", env=env)
    assert first.returncode == 0, first.log
    assert database.exists(), first.log
    again = manage(PROJECT, "isolatedtest", ORDER, "--keepdb", "-v", "2", env=env)
    assert again.returncode == 0, again.log
    assert "No migrations to apply." in again.stdout + again.stderr, again.log
    assert again.outcome == "OK", again.log


@pytest.mark.parametrize("command", ["test", "isolatedtest"])
def test_option_parallel_auto(manage, command):
    run = manage(PROJECT, command, ORDER, "--parallel", "auto", start_method="fork")
    if multiprocessing.cpu_count() > 1:
        assert "Cloning test database" in run.stderr, run.log
    if command == "test":
        assert run.returncode == 1, run.log
        return
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert run.ran == len(ORDER_TESTS), run.log


START_METHODS = [
    "fork",
    "spawn",
    pytest.param(
        "forkserver",
        marks=pytest.mark.skipif(
            django.VERSION < (6, 0),
            reason="Django < 6.0 cannot clone SQLite test databases for "
            "forkserver workers",
        ),
    ),
]


@pytest.mark.parametrize("start_method", START_METHODS)
def test_parallel_workers_isolate_every_kind_of_test(manage, start_method):
    run = manage(
        PROJECT,
        "isolatedtest",
        *parallel_labels(),
        "--parallel",
        "2",
        start_method=start_method,
    )
    assert "Cloning test database" in run.stderr, run.log
    assert run.returncode == 0, run.log
    assert run.ran == parallel_count(), run.log
    assert run.outcome == KINDS_OUTCOME, run.log


# --- unittest-xml-reporting -------------------------------------------------------


def xml_results(report) -> dict[str, bool]:
    """{test id: whether it failed}, from a JUnit XML report."""
    return {
        f"{case.get('classname')}.{case.get('name')}": case.find("failure") is not None
        for case in ET.parse(report).getroot().iter("testcase")
    }


@pytest.mark.parametrize("command", ["test", "isolatedtest"])
def test_xml_test_runner_writes_its_report(manage, tmp_path, command):
    require("xmlrunner", "unittest-xml-reporting")
    report = tmp_path / "report.xml"
    run = manage(
        PROJECT,
        command,
        ORDER,
        "--testrunner",
        XML_RUNNER,
        env={"FIXTURE_XML_FILE": str(report)},
    )
    assert "Generating XML reports..." in run.stderr, run.log
    results = xml_results(report)
    assert sorted(results) == ORDER_TESTS, run.log
    failed = [test for test, failure in results.items() if failure]
    if command == "test":
        assert run.returncode == 1, run.log
        assert len(failed) == 6, run.log
        return
    assert run.returncode == 0, run.log
    assert failed == [], run.log
    assert run.summary.startswith("isolatedtest: 7 tests and 2 classes left"), run.log


# --- System check -------------------------------------------------------------


def test_check_reports_an_invalid_setting_with_its_hint(manage):
    setting = {"EXCLUDE_ALIASES": ["default"], "PERSISTENT_KEY": ["token:*"]}
    message = (
        "ISOLATEDTEST has unknown key(s) 'PERSISTENT_KEY'; the known keys are "
        "EXCLUDE_ALIASES, PERSISTENT_KEYS, OFF, MEMOIZED_EXCLUDE."
    )
    run = manage(PROJECT, "check", env={"FIXTURE_ISOLATEDTEST": setting})
    assert run.returncode == 1, run.log
    assert f"?: (isolatedtest.E001) {message}\n" in run.stderr, run.log
    assert (
        "\tHINT: See the 'Settings' section of isolatedtest's README.\n" in run.stderr
    ), run.log
    assert "System check identified 1 issue (0 silenced)." in run.stderr, run.log


def test_check_accepts_a_valid_setting(manage):
    setting = {"EXCLUDE_ALIASES": ["default"], "PERSISTENT_KEYS": ["token:*"]}
    run = manage(PROJECT, "check", env={"FIXTURE_ISOLATEDTEST": setting})
    assert run.returncode == 0, run.log
    assert "System check identified no issues (0 silenced)." in run.stdout, run.log
