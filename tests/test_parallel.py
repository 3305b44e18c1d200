"""--parallel 2 with fork and spawn workers: isolated, and leaks reported.

The workers' leaks travel to the main process as events; the summary and
the JSON report must be the same as a serial run's.
"""

import json

import pytest

LABELS = ("basicapp.tests.test_order", "basicapp.tests.test_leaks")
LEAKS_MODULE = "basicapp.tests.test_leaks"
START_METHODS = ["fork", "spawn"]


@pytest.fixture(scope="module")
def serial_run(manage, tmp_path_factory):
    path = tmp_path_factory.mktemp("serial") / "leaks.json"
    run = manage("basic", "isolatedtest", *LABELS, "--leak-report", str(path))
    assert run.returncode == 0, run.log
    return run, path


@pytest.fixture(scope="module", params=START_METHODS)
def parallel_run(request, manage, tmp_path_factory):
    method = request.param
    path = tmp_path_factory.mktemp(f"parallel-{method}") / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        *LABELS,
        "--parallel",
        "2",
        "--leak-report",
        str(path),
        start_method=method,
    )
    return run, path


def test_plain_test_fails_the_order_dependent_suite_in_parallel_workers(manage):
    run = manage(
        "basic",
        "test",
        "basicapp.tests.test_order",
        "--parallel",
        "2",
        start_method="fork",
    )
    assert "Cloning test database" in run.stderr, run.log
    assert run.returncode == 1, run.log
    assert run.outcome.startswith("FAILED (failures="), run.log


def test_isolatedtest_passes_in_parallel_workers(parallel_run):
    run, _ = parallel_run
    # Django clones the test database only when it really runs in parallel.
    assert "Cloning test database" in run.stderr, run.log
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert run.ran == 21, run.log


def test_parallel_summary_counts_the_workers_leaks_like_a_serial_run(
    parallel_run, serial_run
):
    run, _ = parallel_run
    serial, _ = serial_run
    assert run.summary == serial.summary, run.log
    assert run.summary.startswith(
        "isolatedtest: 13 tests and 3 classes left cache state behind "
        "(18 keys in 'default', 'other'; 12 added, 5 changed, 1 deleted)"
    ), run.log


def test_parallel_json_report_lists_the_same_leaks_as_a_serial_run(
    parallel_run, serial_run, read_leaks
):
    _, path = parallel_run
    _, serial_path = serial_run
    report, leaks = read_leaks(path)
    serial_report, serial_leaks = read_leaks(serial_path)
    assert len(serial_leaks) == 16
    assert leaks == serial_leaks
    assert report["isolation"] is True
    assert report["not_isolated"] == serial_report["not_isolated"] == []


@pytest.mark.parametrize("method", START_METHODS)
def test_strict_fails_the_leaking_tests_of_parallel_workers(manage, method):
    run = manage(
        "basic",
        "isolatedtest",
        LEAKS_MODULE,
        "--parallel",
        "2",
        "--strict",
        start_method=method,
    )
    assert run.returncode == 1, run.log
    failed = {name for name, kind in run.problems.items() if kind == "FAIL"}
    assert failed == {
        f"{LEAKS_MODULE}.LeakyTests.test_leaks_one_key",
        f"{LEAKS_MODULE}.LeakyTests.test_leaks_two_keys",
        f"{LEAKS_MODULE}.LeakyTests.test_leaks_into_prefixed_alias",
        f"{LEAKS_MODULE}.ClassStateTests.test_changes_a_setup_key",
        f"{LEAKS_MODULE}.ClassStateTests.test_deletes_a_setup_key",
    }, run.log
    # Django's parallel runner charges a class-level error to the class's
    # last test; the error is there, with isolatedtest's message.
    errors = [name for name, kind in run.problems.items() if kind == "ERROR"]
    assert len(errors) == 1, run.log
    assert f"{LEAKS_MODULE}.ClassStateTests" in errors[0], run.log
    assert "isolatedtest: this class left cache state behind" in run.problem_text(
        errors[0]
    ), run.log


def test_kinds_of_tests_pass_isolated_in_parallel_workers(manage):
    run = manage("kinds", "isolatedtest", "--parallel", "2", start_method="fork")
    assert "Cloning test database" in run.stderr, run.log
    assert run.returncode == 0, run.log
    assert run.outcome == "OK (skipped=4, expected failures=1)", run.log


@pytest.mark.parametrize(
    ("options", "start_method", "expected"),
    [((), None, "warm"), (("--parallel", "2"), "fork", None)],
    ids=["serial", "fork"],
)
def test_tests_see_the_startup_state_serially_and_nothing_in_forked_workers(
    manage, options, start_method, expected
):
    run = manage(
        "basic",
        "isolatedtest",
        "basicapp.tests.test_startup",
        *options,
        start_method=start_method,
        env={
            "FIXTURE_WRITE_AT_STARTUP": "1",
            "FIXTURE_EXPECT_STARTUP": json.dumps(expected),
        },
    )
    assert run.returncode == 0, run.log
    assert run.ran == 3, run.log
    # What was there before the run started is nobody's leak; the first
    # test deleting it is one, where it was there to delete.
    if expected is None:
        assert run.summary == "isolatedtest: no cache leaks.", run.log
    else:
        assert run.summary.startswith(
            "isolatedtest: 1 test left cache state behind "
            "(1 key in 'default'; 1 deleted)"
        ), run.log
