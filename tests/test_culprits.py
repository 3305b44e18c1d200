"""Confirmed culprits: each dependency rerun, its commands, the page and CI summary.

The 'basic' project's test_dependencies module has six dependencies on
leftovers (its docstring lists them); rerun after its writer without
isolation, each reader fails. Every command the run prints is run here too.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MODULE = "basicapp.tests.test_dependencies"
PAIRS = {  # reader: writer
    "ReadLater.test_counts_visits": "LeftBehind.test_leaves_visits",
    "ReadLater.test_checks_the_flag": "LeftBehind.test_leaves_a_flag",
    "ReadLater.test_reads_many": "LeftBehind.test_leaves_visits",
    "ReadLater.test_claims_the_slot": "LeftBehind.test_leaves_a_slot",
    "ReadLater.test_touches_the_session": "LeftBehind.test_leaves_a_session",
    "ClassState.test_reads_the_class_config": "ClassState.test_changes_the_config",
}
CONFIRMED = {(f"{MODULE}.{r}", f"{MODULE}.{w}") for r, w in PAIRS.items()}
CHROMIUM = shutil.which("chromium")


def run_printed(command: str, cwd: Path, env: dict | None = None) -> int:
    """Run a command the run printed, as a user pastes it; return its exit code."""
    argv = shlex.split(command)
    assert argv[:2] == ["python", "manage.py"], command
    done = subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=cwd,
        capture_output=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    return done.returncode


@pytest.fixture(scope="module")
def confirmed_run(manage, projects_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("culprits")
    report, page = work / "report.json", work / "page.html"
    run = manage(
        "basic",
        "isolatedtest",
        MODULE,
        "--confirm-dependencies",
        "20",
        "--parallel",
        "2",
        "--leak-report",
        str(report),
        "--dependency-graph",
        str(page),
        "-v",
        "2",
        env={"FIXTURE_ISOLATEDTEST": {"PERSISTENT_KEYS": ["token:*"]}},
    )
    assert run.returncode == 0, run.log
    return run, json.loads(report.read_text()), page


def test_each_dependency_is_rerun_and_the_failing_ones_are_confirmed(confirmed_run):
    run, report, _ = confirmed_run
    culprits = report["culprits"]
    assert all(culprit["checked"] for culprit in culprits), culprits
    confirmed = {(c["reader"], c["writer"]) for c in culprits if c["confirmed"]}
    assert confirmed == CONFIRMED, culprits
    [head] = [line for line in run.stderr.splitlines() if " are confirmed (" in line]
    assert head.startswith(
        f"isolatedtest: 6 of {len(culprits)} dependencies checked are confirmed "
        f"({len(culprits)} reruns in "
    ), run.log
    assert ", 2 at a time): the reader fails after its writer" in head, run.log


def test_every_printed_command_does_what_the_run_says(confirmed_run, projects_dir):
    run, report, _ = confirmed_run
    lines = run.stderr.splitlines()
    for culprit in report["culprits"]:
        if not culprit["confirmed"]:
            continue
        assert f"  {culprit['together']}" in lines, run.log
        assert f"alone it passes: {culprit['alone']}" in run.stderr, run.log
        assert run_printed(culprit["together"], projects_dir / "basic") == 1
        assert run_printed(culprit["alone"], projects_dir / "basic") == 0


def test_the_commands_carry_the_runs_settings(manage, projects_dir):
    # The environment names settings that do not exist: the run, its reruns
    # and the printed commands work only with the run's --settings.
    missing = {"DJANGO_SETTINGS_MODULE": "no_such_settings"}
    writer, reader = (f"{MODULE}.{name}" for name in ("LeftBehind", "ReadLater"))
    run = manage(
        "basic",
        "isolatedtest",
        "--settings",
        "settings",
        f"{writer}.test_leaves_a_flag",
        f"{reader}.test_checks_the_flag",
        "--confirm-dependencies",
        "5",
        "-v",
        "2",
        env=missing,
    )
    assert run.returncode == 0, run.log
    together = f"python manage.py test --settings=settings {writer}.test_leaves_a_flag"
    [line] = [line for line in run.stderr.splitlines() if together in line]
    assert run_printed(line.strip(), projects_dir / "basic", missing) == 1
    [alone] = [
        line.split("alone it passes: ")[1]
        for line in run.stderr.splitlines()
        if "alone it passes: " in line
    ]
    assert alone.startswith("python manage.py test --settings=settings "), alone
    assert run_printed(alone, projects_dir / "basic", missing) == 0


def test_over_the_limit_is_named_as_not_checked(manage):
    run = manage("basic", "isolatedtest", MODULE, "--confirm-dependencies", "2")
    assert run.returncode == 0, run.log
    [line] = [line for line in run.stderr.splitlines() if " not checked (" in line]
    assert line.startswith("isolatedtest: 5 not checked (over the limit of 2"), line


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="Debian's chromium"
)
def test_the_page_renders_in_a_browser_and_shows_the_confirmed_pairs(
    confirmed_run, tmp_path
):
    _, _, page = confirmed_run
    assert CHROMIUM is not None, "CI must have Debian's chromium"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = done.stdout
    reader, writer = sorted(CONFIRMED)[0]
    edge = f'data-confirmed="true" data-reader="{reader}" data-writer="{writer}"'
    assert edge in dom, dom[:2000]
    assert f"{reader} fails after {writer}" in dom
    text = page.read_text()  # self-contained: nothing to fetch
    assert "src=" not in text and "<link" not in text and "url(" not in text


def test_the_github_job_summary_gets_the_pairs_and_a_diagram(manage, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier steps\n")
    run = manage(
        "basic",
        "isolatedtest",
        MODULE,
        "--confirm-dependencies",
        "20",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert run.returncode == 0, run.log
    text = summary.read_text()
    assert text.startswith("# earlier steps\n### isolatedtest: cache dependencies")
    reader, writer = sorted(CONFIRMED)[0]
    assert f"| `{reader}` | `{writer}` |" in text, text
    assert "```mermaid\nflowchart LR\n" in text, text


def test_pytest_confirms_too_with_workers(run_pytest, tmp_path):
    report = tmp_path / "report.json"
    demo = Path(__file__).parent.parent / "demo"
    root = tmp_path / "demo"
    shutil.copytree(demo, root, ignore=shutil.ignore_patterns("__pycache__"))
    run = run_pytest(
        root,
        "-n",
        "2",
        "--confirm-dependencies=4",
        f"--isolation-report={report}",
    )
    assert run.returncode == 0, run.log
    culprits = json.loads(report.read_text())["culprits"]
    confirmed = [c for c in culprits if c["confirmed"]]
    assert confirmed, culprits
    for culprit in confirmed:
        assert culprit["together"] == (
            f"pytest {culprit['writer']} {culprit['reader']} -p no:randomly "
            "-p no:isolatedtest"
        )
        argv = shlex.split(culprit["together"])
        done = subprocess.run(
            [sys.executable, "-m", *argv], cwd=root, capture_output=True, timeout=120
        )
        assert done.returncode == 1, done.stdout
