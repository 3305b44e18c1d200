"""Project test runners: composed with isolation, refused, or isolated by setting.

The fixture (runners) has TEST_RUNNER = project_runners.GreetingRunner, a
DiscoverRunner subclass with a --greeting option and its own result class,
and a pair of tests that fail under plain `test` when not isolated.
"""

import json

LABEL = "runnersapp"
ISOLATED_RUNNER = {"FIXTURE_TEST_RUNNER": "isolatedtest.runner.IsolatedDiscoverRunner"}
PAIR_SUMMARY = (
    "isolatedtest: 2 tests left cache state behind (2 keys in 'default'; 2 added); "
    "isolation undid it. Run with -v 2 to list them, -v 3 for keys."
)


def test_plain_test_with_the_project_runner_fails_the_pair(manage):
    run = manage("runners", "test", LABEL, "--greeting", "bonjour")
    assert "GreetingRunner says bonjour" in run.stdout, run.log
    assert run.returncode == 1, run.log
    assert run.outcome == "FAILED (failures=1)", run.log


def test_isolatedtest_composes_isolation_into_the_project_runner(manage):
    run = manage("runners", "isolatedtest", LABEL, "--greeting", "bonjour")
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    # The runner's option reached it, and its result class is still used.
    assert "GreetingRunner says bonjour" in run.stdout, run.log
    assert "CountingResult saw 2 test(s)" in run.stderr, run.log
    assert run.summary == PAIR_SUMMARY, run.log


def test_project_runner_option_default_applies_under_isolatedtest(manage):
    run = manage("runners", "isolatedtest", LABEL, "-v", "0")
    assert run.returncode == 0, run.log
    assert "GreetingRunner says hello" in run.stdout, run.log


def test_project_runner_and_isolation_options_combine(manage):
    run = manage("runners", "isolatedtest", LABEL, "--greeting", "hi", "--strict")
    assert "GreetingRunner says hi" in run.stdout, run.log
    assert run.returncode == 1, run.log
    assert run.problems == {
        "runnersapp.tests.PairTests.test_left": "FAIL",
        "runnersapp.tests.PairTests.test_right": "FAIL",
    }, run.log


def test_plain_test_accepts_a_runner_not_based_on_discover_runner(manage):
    run = manage(
        "runners", "test", LABEL, "--testrunner", "project_runners.NotADiscoverRunner"
    )
    assert run.returncode == 0, run.log
    assert "NotADiscoverRunner ran without running any test" in run.stdout, run.log


def test_isolatedtest_refuses_a_runner_not_based_on_discover_runner(manage):
    run = manage(
        "runners",
        "isolatedtest",
        LABEL,
        "--testrunner",
        "project_runners.NotADiscoverRunner",
    )
    assert run.returncode == 1, run.log
    assert run.stderr.startswith(
        "CommandError: The test runner project_runners.NotADiscoverRunner is not "
        "based on django.test.runner.DiscoverRunner"
    ), run.log
    assert "NotADiscoverRunner ran" not in run.stdout, run.log


def test_isolated_discover_runner_setting_makes_plain_test_isolated(manage):
    run = manage("runners", "test", LABEL, env=ISOLATED_RUNNER)
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert run.summary == PAIR_SUMMARY, run.log


def test_isolated_discover_runner_setting_gives_plain_test_the_strict_option(manage):
    run = manage("runners", "test", LABEL, "--strict", env=ISOLATED_RUNNER)
    assert run.returncode == 1, run.log
    assert run.problems == {
        "runnersapp.tests.PairTests.test_left": "FAIL",
        "runnersapp.tests.PairTests.test_right": "FAIL",
    }, run.log


def test_isolatedtest_works_with_the_isolated_discover_runner_setting(manage, tmp_path):
    report = tmp_path / "leaks.json"
    run = manage(
        "runners",
        "isolatedtest",
        LABEL,
        "--leak-report",
        str(report),
        env=ISOLATED_RUNNER,
    )
    assert run.returncode == 0, run.log
    assert run.summary == PAIR_SUMMARY, run.log
    assert report.exists(), run.log


def test_environment_variables_set_the_options_of_a_runner_built_without_them(
    manage, tmp_path
):
    path = tmp_path / "leaks.json"
    strict = manage(
        "runners",
        "test",
        LABEL,
        env={
            **ISOLATED_RUNNER,
            "ISOLATEDTEST_STRICT": "1",
            "ISOLATEDTEST_LEAK_REPORT": str(path),
        },
    )
    assert strict.returncode == 1, strict.log
    assert strict.outcome == "FAILED (failures=2)", strict.log
    assert json.loads(path.read_text())["strict"] is True
    not_isolated = manage(
        "runners",
        "test",
        LABEL,
        env={**ISOLATED_RUNNER, "ISOLATEDTEST_NO_ISOLATION": "yes"},
    )
    assert not_isolated.outcome == "FAILED (failures=1)", not_isolated.log
    assert not_isolated.summary.startswith(
        "isolatedtest: 2 tests left cache state behind (2 keys in 'default'; 2 added); "
        "it was NOT undone (--no-isolation)."
    ), not_isolated.log


def test_the_command_line_wins_over_the_environment(manage, tmp_path):
    chosen, ignored = tmp_path / "chosen.json", tmp_path / "ignored.json"
    run = manage(
        "runners",
        "isolatedtest",
        LABEL,
        "--leak-report",
        str(chosen),
        env={"ISOLATEDTEST_LEAK_REPORT": str(ignored)},
    )
    assert run.returncode == 0, run.log
    assert chosen.exists() and not ignored.exists()


def test_a_wrong_environment_value_stops_the_run_and_names_the_variable(manage):
    run = manage("runners", "isolatedtest", LABEL, env={"ISOLATEDTEST_STRICT": "maybe"})
    assert run.returncode == 1, run.log
    assert run.stderr.startswith(
        "ConfigurationError: ISOLATEDTEST_STRICT='maybe' is not a yes or no: use 1 or 0"
    ), run.log
    assert "Ran " not in run.stderr
