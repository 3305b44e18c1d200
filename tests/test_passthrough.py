"""`isolatedtest` takes every option of `test` and behaves the same with it."""

import re
import sys

import django
import pytest

ISOLATEDTEST_OPTIONS = {
    "--strict",
    "--leak-report",
    "--leak-baseline",
    "--no-isolation",
    "--cache-dependencies",
    "--confirm-dependencies",
    "--dependency-graph",
    "--isolation-off",
}
OPTIONS_MODULE = "basicapp.tests.test_options"
FAILING_MODULE = "basicapp.tests.test_failing"
PASSING_MODULE = "basicapp.tests.test_order"  # passes when isolated


def option_strings(help_text: str) -> set[str]:
    """Every option string argparse lists in ``help_text``."""
    options = set()
    for line in help_text.splitlines():
        match = re.match(r"^  (-\S.*?)(?: {2,}|$)", line)
        if match:
            for invocation in match[1].split(", "):
                options.add(invocation.split()[0])
    return options


@pytest.mark.parametrize("project", ["basic", "runners"])
def test_isolatedtest_help_lists_every_option_of_test_and_its_own(manage, project):
    plain = manage(project, "test", "--help")
    isolated = manage(project, "isolatedtest", "--help")
    assert plain.returncode == isolated.returncode == 0, isolated.log
    plain_options = option_strings(plain.stdout)
    isolated_options = option_strings(isolated.stdout)
    # The parsing found the options of `test` and of DiscoverRunner.
    assert {"--testrunner", "--parallel", "--shuffle", "-k", "--keepdb"} <= (
        plain_options
    ), plain.log
    assert plain_options <= isolated_options, plain_options - isolated_options
    assert isolated_options - plain_options == ISOLATEDTEST_OPTIONS


def test_k_selects_tests_by_name(manage):
    run = manage("basic", "isolatedtest", OPTIONS_MODULE, "-k", "noise", "-v", "2")
    assert run.returncode == 0, run.log
    assert run.ran == 1, run.log
    assert run.run_order == [f"{OPTIONS_MODULE}.OptionTests.test_prints_noise"], run.log


def test_tag_selects_tagged_tests(manage):
    run = manage("basic", "isolatedtest", OPTIONS_MODULE, "--tag", "slow", "-v", "2")
    assert run.returncode == 0, run.log
    assert run.run_order == [f"{OPTIONS_MODULE}.OptionTests.test_tagged_slow"], run.log


def test_exclude_tag_leaves_tagged_tests_out(manage):
    run = manage("basic", "isolatedtest", OPTIONS_MODULE, "--exclude-tag", "slow")
    assert run.returncode == 0, run.log
    assert run.ran == 2, run.log
    assert run.summary == "isolatedtest: no cache leaks.", run.log


@pytest.mark.parametrize("command", ["test", "isolatedtest"])
def test_failfast_stops_at_the_first_failure(manage, command):
    complete = manage("basic", command, FAILING_MODULE)
    stopped = manage("basic", command, FAILING_MODULE, "--failfast")
    assert complete.outcome == "FAILED (failures=2)", complete.log
    assert stopped.outcome == "FAILED (failures=1)", stopped.log
    assert stopped.ran == 1, stopped.log
    assert stopped.returncode == 1, stopped.log


def test_timing_prints_the_timings(manage):
    run = manage("basic", "isolatedtest", PASSING_MODULE, "--timing", "-v", "0")
    assert run.returncode == 0, run.log
    assert re.search(r"^Total database setup took \d+\.\d{3}s$", run.stderr, re.M), (
        run.log
    )
    assert re.search(r"^Total run took \d+\.\d{3}s$", run.stderr, re.M), run.log


@pytest.mark.skipif(
    sys.version_info < (3, 12) or django.VERSION < (5, 0),
    reason="--durations needs Python 3.12 and Django 5.0",
)
def test_durations_lists_the_slowest_tests(manage):
    run = manage("basic", "isolatedtest", OPTIONS_MODULE, "--durations", "1")
    assert run.returncode == 0, run.log
    assert "Slowest test durations" in run.stderr, run.log


def test_buffer_hides_the_output_of_passing_tests(manage):
    shown = manage("basic", "isolatedtest", OPTIONS_MODULE, "-k", "noise")
    hidden = manage("basic", "isolatedtest", OPTIONS_MODULE, "-k", "noise", "--buffer")
    assert shown.returncode == hidden.returncode == 0, hidden.log
    assert "NOISE-FROM-A-PASSING-TEST" in shown.stdout, shown
    assert "NOISE-FROM-A-PASSING-TEST" not in hidden.output, hidden.log


def test_debug_sql_prints_the_sql_of_failing_tests(manage):
    without = manage("basic", "isolatedtest", FAILING_MODULE)
    run = manage("basic", "isolatedtest", FAILING_MODULE, "--debug-sql")
    assert "SELECT 4242" not in without.output, without.log
    assert run.returncode == 1, run.log
    assert "SELECT 4242" in run.problem_text(
        f"{FAILING_MODULE}.FailingTests.test_1_fails_after_running_sql"
    ), run.log
    assert run.summary == "isolatedtest: no cache leaks.", run.log


def test_keepdb_keeps_the_test_database(manage):
    run = manage("basic", "isolatedtest", PASSING_MODULE, "--keepdb")
    assert run.returncode == 0, run.log
    assert "Using existing test database for alias 'default'" in run.stderr, run.log
    assert "Destroying test database" not in run.stderr, run.log


@pytest.mark.parametrize(
    ("label", "exit_code"), [(OPTIONS_MODULE, 0), (FAILING_MODULE, 1)]
)
def test_exit_code_and_outcome_are_those_of_plain_test(manage, label, exit_code):
    plain = manage("basic", "test", label)
    isolated = manage("basic", "isolatedtest", label)
    assert plain.returncode == isolated.returncode == exit_code, isolated.log
    assert plain.outcome == isolated.outcome, isolated.log
    assert plain.ran == isolated.ran, isolated.log
