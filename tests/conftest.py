"""Run ``manage.py`` of the fixture projects in tests/projects as subprocesses.

The projects are copied once per session into a temporary directory, so
nothing a run writes (bytecode, SQLite clones of spawned workers, reports)
lands in the work tree. Each run gets a clean environment: the project's
directory on PYTHONPATH (before any PYTHONPATH already set), no leftover
fixture variables, and optionally ISOLATEDTEST_START_METHOD, which the
projects' manage.py passes to ``multiprocessing.set_start_method``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

PROJECTS = Path(__file__).parent / "projects"
RUN_TIMEOUT = 120  # seconds, per manage.py run

# Real Redis and Memcached servers (tests/servers.py).
pytest_plugins = ["servers"]

# The fixture projects contain Django test modules, not pytest ones.
collect_ignore = ["projects"]

# Conformance modules: their runs start first and are checked last.
CONFORMANCE = ("test_conformance", "test_conformance_redis")

# With -v 2, where each option given came from: not the summary.
OPTIONS_LINE = "isolatedtest: options: "

# Variables the fixture projects read; never inherited from the caller.
FIXTURE_ENV_PREFIXES = ("FIXTURE_", "ISOLATEDTEST_", "DJANGO_")

_HEADER = re.compile(r"^(FAIL|ERROR|UNEXPECTED SUCCESS): (\w+) \(([\w.]+)\)", re.M)
_CLASS_LEVEL = {"setUpClass", "tearDownClass", "setUpModule", "tearDownModule"}
_OUTCOME = re.compile(r"^(OK|FAILED)( \(.*\))?$", re.M)
_RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)
_RESULT = re.compile(r"^(\w+) \(([\w.]+)\)(?: \(.*\))? \.\.\. (.*)$", re.M)


def _test_id(name: str, where: str) -> str:
    """Return the test id from a unittest description, on any Python version.

    Python 3.11+ prints 'test_x (module.Class.test_x)', older ones
    'test_x (module.Class)'. Class-level errors stay 'tearDownClass (module.Class)'.
    """
    if name in _CLASS_LEVEL:
        return f"{name} ({where})"
    return where if where.endswith(f".{name}") else f"{where}.{name}"


@dataclass(frozen=True, repr=False)
class Run:
    """What one run of a fixture project's command did."""

    program: ClassVar[str]
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def log(self) -> str:
        """The command, its exit code and its output: for assertion messages."""
        return (
            f"{self.program} {' '.join(self.args)} -> exit {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )

    # pytest shows a non-string assertion message through repr(), cut to a
    # few hundred characters: the command and exit code, then the end of
    # stderr. Pass ``run.log`` as the message to see everything.
    __repr__ = __str__ = log.fget


@dataclass(frozen=True, repr=False)
class ManageRun(Run):
    """What one ``manage.py`` run did."""

    program: ClassVar[str] = "manage.py"

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def outcome(self) -> str:
        """The unittest result line: 'OK', 'FAILED (failures=2)', ..."""
        found = _OUTCOME.findall(self.stderr)
        assert found, f"no unittest outcome line in:\n{self}"
        status, details = found[-1]
        return status + details

    @property
    def ran(self) -> int:
        found = _RAN.findall(self.stderr)
        assert found, f"no 'Ran N tests' line in:\n{self}"
        return int(found[-1])

    @property
    def problems(self) -> dict[str, str]:
        """{test id or 'tearDownClass (module.Class)': 'FAIL' | 'ERROR' | ...}."""
        return {
            _test_id(name, where): kind
            for kind, name, where in _HEADER.findall(self.stderr)
        }

    def problem_text(self, test_id: str) -> str:
        """The traceback section unittest printed for ``test_id``."""
        sections = re.split(r"^={70}$", self.stderr, flags=re.M)
        for section in sections:
            match = _HEADER.search(section)
            if match and _test_id(match[2], match[3]) == test_id:
                return section
        raise AssertionError(f"no failure section for {test_id} in:\n{self}")

    @property
    def results(self) -> dict[str, str]:
        """{test id: 'ok' | 'FAIL' | 'skipped ...' | ...}, from -v 2 output."""
        return {
            _test_id(name, where): result
            for name, where, result in _RESULT.findall(self.stderr)
        }

    @property
    def run_order(self) -> list[str]:
        """Test ids in the order they ran, from -v 2 output."""
        return [
            _test_id(name, where) for name, where, _ in _RESULT.findall(self.stderr)
        ]

    @property
    def summary(self) -> str:
        """isolatedtest's one summary line (stderr)."""
        lines = [
            line
            for line in self.stderr.splitlines()
            if line.startswith("isolatedtest: ")
            and "WARNING" not in line
            and not line.startswith(OPTIONS_LINE)
        ]
        assert len(lines) == 1, f"expected one summary line, got {lines} in:\n{self}"
        return lines[0]

    @property
    def leak_lines(self) -> list[str]:
        """The '  leak: ...' lines of -v 2, and their key lines with -v 3."""
        lines = self.stderr.splitlines()
        start = lines.index(self.summary) + 1
        block = []
        for line in lines[start:]:
            if not (line.startswith("  leak: ") or line.startswith("      ")):
                break
            block.append(line)
        return block


def _environment(project_dir: Path, env: dict[str, str] | None, start_method):
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(FIXTURE_ENV_PREFIXES)
    }
    paths = [str(project_dir)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    environment["PYTHONIOENCODING"] = "utf-8"
    environment["COLUMNS"] = "200"  # stable --help formatting
    if start_method:
        environment["ISOLATEDTEST_START_METHOD"] = start_method
    environment.update(env or {})
    return environment


def _run_in(
    project_dir: Path, command: list[str], env: dict | None, start_method, timeout
) -> subprocess.CompletedProcess:
    """Run ``command`` in a fixture project; non-string ``env`` values as JSON."""
    encoded = {
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in (env or {}).items()
    }
    return subprocess.run(
        command,
        cwd=project_dir,
        env=_environment(project_dir, encoded, start_method),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def pytest_collection_modifyitems(session, config, items):
    """Check the backends' own tests last: their runs go on meanwhile."""
    last = [item for item in items if item.module.__name__ in CONFORMANCE]
    if last:
        items[:] = [item for item in items if item not in last] + last
    config.stash[_CONFORMANCE_COLLECTED] = {item.module.__name__ for item in last}


_CONFORMANCE_COLLECTED = pytest.StashKey[set]()


@pytest.fixture(scope="session", autouse=True)
def conformance_runs(request, tmp_path_factory):
    """Start the conformance modules' runs with the session: {module: runs}.

    Django's and django-redis's own tests mostly sleep (waiting for keys to
    expire), so they take little from the tests that run meanwhile; the
    conformance modules wait for them last.
    """
    with contextlib.ExitStack() as stack:
        runs = {}
        for name in sorted(request.config.stash.get(_CONFORMANCE_COLLECTED, set())):
            start_runs = importlib.import_module(name).start_runs
            runs[name] = stack.enter_context(
                contextlib.contextmanager(start_runs)(tmp_path_factory)
            )
        yield runs


@pytest.fixture(scope="session")
def projects_dir(tmp_path_factory) -> Path:
    """A private copy of tests/projects for this session."""
    root = tmp_path_factory.mktemp("projects")
    shutil.copytree(
        PROJECTS,
        root,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"),
    )
    return root


@pytest.fixture(scope="session")
def manage(projects_dir):
    """Return ``run(project, *args, env=None, start_method=None)`` -> ManageRun.

    ``env`` values that are not strings are JSON-encoded, so settings can be
    passed as Python data: ``env={"FIXTURE_ISOLATEDTEST": {...}}``.
    """

    def run(
        project: str,
        *args: str,
        env: dict | None = None,
        start_method: str | None = None,
        timeout: float = RUN_TIMEOUT,
    ) -> ManageRun:
        completed = _run_in(
            projects_dir / project,
            [sys.executable, "manage.py", *args],
            env,
            start_method,
            timeout,
        )
        return ManageRun(
            tuple(args), completed.returncode, completed.stdout, completed.stderr
        )

    return run


@pytest.fixture(scope="session")
def read_leaks():
    """Return ``read(path) -> (report, leaks)`` for a --leak-report file.

    ``leaks`` is the set of (scope, name, alias, sorted keys) of the report,
    which must not list any of them twice.
    """

    def read(path: Path) -> tuple[dict, set[tuple]]:
        report = json.loads(Path(path).read_text())
        leaks = [
            (leak["scope"], leak["name"], leak["alias"], tuple(sorted(leak["keys"])))
            for leak in report["leaks"]
        ]
        assert len(leaks) == len(set(leaks)), f"duplicate leaks in {report}"
        return report, set(leaks)

    return read


@dataclass(frozen=True, repr=False)
class PytestRun(Run):
    """What one ``pytest`` run of a fixture project did."""

    program: ClassVar[str] = "pytest"

    @property
    def failed(self) -> set[str]:
        """Node ids of the short summary's FAILED lines."""
        return set(re.findall(r"^FAILED (\S+)", self.stdout, re.M))

    @property
    def errors(self) -> set[str]:
        return set(re.findall(r"^ERROR (\S+)", self.stdout, re.M))

    @property
    def summary(self) -> str:
        """isolatedtest's one summary line."""
        lines = [
            line
            for line in self.stdout.splitlines()
            if line.startswith("isolatedtest: ") and not line.startswith(OPTIONS_LINE)
        ]
        assert len(lines) == 1, f"expected one summary line, got {lines} in:\n{self}"
        return lines[0]


@pytest.fixture(scope="session")
def run_pytest(projects_dir):
    """Return ``run(project, *args, env=None)`` -> PytestRun, in a subprocess.

    pytest-randomly is off unless the arguments give a seed, so that the
    default order is the files' order.
    """

    def run(project: str | Path, *args: str, env: dict | None = None) -> PytestRun:
        """``project``: a fixture project's name, or any directory."""
        seeded = any("randomly-seed" in arg for arg in args)
        order = [] if seeded else ["-p", "no:randomly"]
        command = [sys.executable, "-m", "pytest", "-q", "-rfE"]
        command += ["-p", "no:cacheprovider"]
        completed = _run_in(
            projects_dir / project, [*command, *order, *args], env, None, RUN_TIMEOUT
        )
        return PytestRun(
            tuple(args), completed.returncode, completed.stdout, completed.stderr
        )

    return run
