"""Options: one table, checked before anything runs, and said where they came from.

Real ``manage.py isolatedtest`` and ``pytest`` runs of the fixture projects.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

LABEL = "basicapp.tests.test_options.OptionTests.test_plain"
PYTEST_PROJECT = "pytestproj"


@pytest.mark.parametrize(
    ("where", "problem"),
    [("missing/leaks.json", "which is not a directory"), (".", "is a directory")],
)
def test_a_report_path_that_cannot_be_written_stops_the_run_at_once(
    manage, tmp_path, where, problem
):
    path = tmp_path / where
    run = manage("basic", "isolatedtest", LABEL, "--leak-report", str(path))
    assert run.returncode == 1, run
    assert run.stderr.splitlines() == [
        f"ConfigurationError: the leak report {str(path)!r} (from --leak-report) "
        + (f"is in {str(path.parent)!r}, {problem}" if "missing" in where else problem)
        + ": give a file path in a directory that exists."
    ], run
    assert "Creating test database" not in run.stdout + run.stderr


def test_the_environment_is_named_when_it_gave_the_path(manage, tmp_path):
    env = {"ISOLATEDTEST_LEAK_REPORT": str(tmp_path)}
    run = manage("basic", "isolatedtest", LABEL, env=env)
    assert run.returncode == 1, run
    assert f"(from ISOLATEDTEST_LEAK_REPORT={str(tmp_path)!r}) is a directory" in (
        run.stderr
    ), run


def test_pytest_stops_at_once_too(run_pytest, tmp_path):
    run = run_pytest(PYTEST_PROJECT, f"--isolation-report={tmp_path}")
    assert run.returncode == 4, run.log  # pytest's usage error
    assert f"isolatedtest: the leak report {str(tmp_path)!r}" in run.stderr, run.log
    assert "passed" not in run.stdout, run.log


def test_a_report_that_cannot_be_written_at_the_end_goes_elsewhere(manage, tmp_path):
    directory = tmp_path / "reports"
    directory.mkdir()
    path = directory / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        "basicapp.tests.test_report_dir",
        "--leak-report",
        str(path),
        env={"FIXTURE_REMOVE_DIR": str(directory)},
    )
    assert run.returncode == 0, run
    assert "Traceback" not in run.stderr, run
    (line,) = [line for line in run.stderr.splitlines() if "could not" in line]
    assert line.startswith(
        f"isolatedtest: could not write the leak report to {str(path)!r} "
        "(No such file or directory); it is in "
    ), run
    fallback = Path(line.split("it is in '")[1].split("'")[0])
    assert json.loads(fallback.read_text())["leaks"] == []


def test_verbose_runs_say_where_each_option_came_from(manage, tmp_path):
    path = tmp_path / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        LABEL,
        "-v",
        "2",
        "--cache-dependencies",
        env={"ISOLATEDTEST_LEAK_REPORT": str(path)},
    )
    assert run.returncode == 0, run
    assert (
        "isolatedtest: options: report from ISOLATEDTEST_LEAK_REPORT="
        f"{str(path)!r}, dependencies from --cache-dependencies."
    ) in run.stderr.splitlines(), run
