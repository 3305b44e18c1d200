"""--leak-baseline: --strict a project can turn on today, failing new leaks only.

A baseline is a leak report (--leak-report). The 'basic' project's
test_leaks module leaks in five tests and a class; test_module_leak's module
leaks too.
"""

import json

import pytest

LEAKS = "basicapp.tests.test_leaks"
MODULE_LEAK = "basicapp.tests.test_module_leak"
ORDERS = {
    "serial": (),
    "reverse": ("--reverse",),
    "shuffle": ("--shuffle", "7"),
    "parallel": ("--parallel", "2"),
}


def lines_of(run, start: str) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith(start)]


@pytest.fixture(scope="module")
def baseline(manage, tmp_path_factory):
    """Today's leaks of test_leaks, written by --leak-report."""
    path = tmp_path_factory.mktemp("baseline") / "leaks.json"
    run = manage("basic", "isolatedtest", LEAKS, "--leak-report", str(path))
    assert run.returncode == 0, run.log
    return path


@pytest.mark.parametrize("order", ORDERS)
def test_strict_lets_the_baselines_leaks_pass_in_every_order(manage, baseline, order):
    run = manage(
        "basic",
        "isolatedtest",
        LEAKS,
        "--strict",
        "--leak-baseline",
        str(baseline),
        *ORDERS[order],
    )
    assert run.problems == {}, run.log
    assert run.returncode == 0, run.log
    assert lines_of(run, "isolatedtest: every leak") == [
        f"isolatedtest: every leak is in the baseline {str(baseline)!r}."
    ], run.log


def test_a_new_leak_fails_and_is_named(manage, baseline):
    run = manage(
        "basic",
        "isolatedtest",
        LEAKS,
        MODULE_LEAK,
        "--strict",
        "--leak-baseline",
        str(baseline),
        "-v",
        "2",
    )
    assert run.problems == {f"tearDownModule ({MODULE_LEAK})": "ERROR"}, run.log
    assert lines_of(run, "isolatedtest: not in") == [
        f"isolatedtest: not in the baseline {str(baseline)!r}: module {MODULE_LEAK}."
    ], run.log
    marked = [line for line in run.stderr.splitlines() if "[in the baseline]" in line]
    assert len(marked) == 6, run.log


def test_entries_that_no_longer_leak_are_listed_and_patterns_match(
    manage, baseline, tmp_path
):
    report = json.loads(baseline.read_text())
    one = next(leak for leak in report["leaks"] if leak["keys"] == ["leaky:one"])
    one["keys"] = ["leaky:*"]  # a key whose id changes from run to run
    tidy = {**one, "name": f"{LEAKS}.TidyTests.test_only_reads", "keys": ["old"]}
    gone = {**one, "name": f"{LEAKS}.LeakyTests.test_removed", "keys": ["old"]}
    report["leaks"] += [tidy, gone]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(report))
    run = manage(
        "basic", "isolatedtest", LEAKS, "--strict", "--leak-baseline", str(edited)
    )
    assert run.returncode == 0, run.log
    assert lines_of(run, f"isolatedtest: the baseline {str(edited)!r}") == [
        f"isolatedtest: the baseline {str(edited)!r} lists 1 key no longer "
        f"leaking: test {LEAKS}.TidyTests.test_only_reads: 'default' 'old'. Rewrite it "
        "with --leak-report.",
        f"isolatedtest: the baseline {str(edited)!r} lists 1 test that did not run "
        f"here, where others of their class did: {LEAKS}.LeakyTests."
        "test_removed. If they no longer exist, rewrite it with --leak-report after "
        "a run of the whole suite.",
    ], run.log


def test_a_run_of_part_of_the_suite_says_nothing_of_the_rest(
    manage, baseline, run_pytest, tmp_path
):
    # One class of the baseline's module runs: its entries are checked, the
    # other classes' and the other module's are not called stale.
    run = manage(
        "basic",
        "isolatedtest",
        f"{LEAKS}.ClassStateTests",
        "--strict",
        "--leak-baseline",
        str(baseline),
    )
    assert run.returncode == 0, run.log
    assert lines_of(run, f"isolatedtest: the baseline {str(baseline)!r}") == [], run.log
    report = tmp_path / "pytest-leaks.json"
    assert run_pytest("pytestproj", f"--isolation-report={report}").returncode == 0
    part = run_pytest("pytestproj", "--collect-only", f"--leak-baseline={report}", "-q")
    assert part.returncode == 0, part.log
    assert "no longer" not in part.stdout and "did not run" not in part.stdout, part.log


def test_a_key_matches_itself_whatever_its_characters(manage, tmp_path):
    # "page[1]?" read as a pattern matches "page1x", not itself.
    module = "basicapp.tests.bracketed_keys"
    report = tmp_path / "brackets.json"
    first = manage("basic", "isolatedtest", module, "--leak-report", str(report))
    assert first.returncode == 0, first.log
    run = manage(
        "basic", "isolatedtest", module, "--strict", "--leak-baseline", str(report)
    )
    assert run.returncode == 0, run.log
    assert lines_of(run, "isolatedtest: every leak") == [
        f"isolatedtest: every leak is in the baseline {str(report)!r}."
    ], run.log


def test_a_baseline_that_cannot_be_read_stops_the_run_at_once(manage, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    run = manage("basic", "isolatedtest", LEAKS, "--leak-baseline", str(bad))
    assert run.returncode == 1, run.log
    assert "Creating test database" not in run.stderr, run.log
    assert (
        f"the leak baseline {str(bad)!r} (from --leak-baseline) cannot be used: it "
        "is not a leak report (KeyError('leaks')). Give a file --leak-report wrote."
    ) in run.stderr, run.log


def test_pytest_takes_the_same_baseline(run_pytest, tmp_path):
    report = tmp_path / "pytest-leaks.json"
    first = run_pytest("pytestproj", f"--isolation-report={report}")
    assert first.returncode == 0, first.log
    for args, env in (
        (["--isolation-strict", f"--leak-baseline={report}"], None),
        (
            ["--isolation-strict", "-n", "2"],
            {"ISOLATEDTEST_LEAK_BASELINE": str(report)},
        ),
    ):
        run = run_pytest("pytestproj", *args, env=env)
        assert run.returncode == 0, run.log
        assert f"isolatedtest: every leak is in the baseline {str(report)!r}." in (
            run.stdout
        ), run.log
