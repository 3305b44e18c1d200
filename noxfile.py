"""The support matrix: Django 4.2, 5.2, 6.0 and 6.1 on the Pythons each supports.

    pip install nox uv          # uv is optional: sessions then use venv + pip
    nox                         # the whole matrix (the list: nox -l)
    nox -s "tests-3.12(django='6.0')"
    nox -s tests-3.12           # every Django version on Python 3.12
    nox -s "tests-3.10(django='4.2')" -- tests/test_compat.py -x   # your args

One combination, FULL, runs the whole suite; every other one runs SUBSET,
the test files that depend most on the Python and Django versions, and one
per Django version also BACKENDS. Arguments after ``--`` replace the
selection.

Each session uses pyenv's newest build of its Python
(``$(pyenv root)/versions/3.X.*``) where there is one, else ``python3.X`` on
PATH. Nox never downloads an interpreter; a missing one skips its sessions,
or fails them in CI (CI=true).

The full suite needs redis-server and memcached (tests/servers.py). pylibmc
has no wheel for Python 3.12+, so the test extra installs it below 3.12 only
and its tests are skipped above.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox

# Django version -> the Pythons (among 3.10-3.13) it supports, from the
# classifiers and Requires-Python of each release on PyPI.
MATRIX = {
    "4.2": ("3.10", "3.11", "3.12"),
    "5.2": ("3.10", "3.11", "3.12", "3.13"),
    "6.0": ("3.12", "3.13"),
    "6.1": ("3.12", "3.13"),
}
PYTHONS = ("3.10", "3.11", "3.12", "3.13")

# The combination that runs the whole suite: the newest of both.
FULL = ("3.13", "6.1")
# Every other combination runs the test files that depend most on the Python
# and Django versions: kinds of tests, runners and their options, parallel
# start methods, DRF, unittest-xml-reporting, the system check (test_compat),
# unittest's class and module setup, Django's runner options and parallel
# workers.
SUBSET = [
    "tests/test_compat.py",
    "tests/test_kinds.py",
    "tests/test_class_setup_edges.py",
    # unittest's module and class fixtures, hooked in its private suite methods.
    "tests/test_lifecycle.py",
    "tests/test_parallel.py",
    "tests/test_passthrough.py",
    "tests/test_runners.py",
    # Caches outside the cache framework: sys.monitoring (3.12+) or sizes
    # read per scope; Django's SITE_CACHE and ContentType cache.
    "tests/test_process_caches.py::test_isolated_tests_see_only_their_class_and_leaks_are_named",
]
# The pytest plugin with the pytest-django and pytest-xdist releases that
# support each combination: serial and two workers, leaks and strict mode.
PYTEST_PLUGIN = [
    "tests/test_pytest_plugin.py::test_the_suite_fails_without_isolation",
    "tests/test_pytest_plugin.py::test_leaks_are_named_exactly",
    "tests/test_pytest_plugin.py::test_strict_fails_exactly_the_leaking_tests",
]
# Django's cache backends (Redis, Memcached, file, database) change with Django,
# not with Python: their tests also run once per Django version, on the
# newest Python that is not FULL's (5.2's in CI's main job, whole suite).
BACKENDS = [
    "tests/test_shared_servers.py",
    "tests/test_backend_matrix.py",
    "tests/test_scenarios.py",
]
BACKENDS_ON = {("3.12", "4.2"), ("3.13", "6.0")}
# Django's and django-redis's own cache tests, plain and isolated
# (tests/conformance.py, tests/conformance_redis.py): on the oldest Django
# here (where pip picks the oldest django-redis supported, 6.x), on the newest
# in FULL, and on the test command's own.
CONFORMANCE = ["tests/test_conformance.py", "tests/test_conformance_redis.py"]
CONFORMANCE_ON = {("3.12", "4.2")}

# Test dependencies that tests/test_compat.py and tests/test_packaging.py use.
# Installed here as well as from the test extra, so that the matrix covers
# them whatever the extra lists; pip resolves a DRF release for each Django.
# pip itself fetches Django's sdist for tests/conformance.py (uv's venvs have
# no pip).
COMPAT_DEPS = ["djangorestframework", "unittest-xml-reporting", "build", "pip"]

nox.options.default_venv_backend = "uv|venv"
nox.options.download_python = "never"


def _version_key(python: Path) -> tuple[int, ...]:
    """(3, 12, 1) for .../versions/3.12.1/bin/python3.12."""
    return tuple(int(part) for part in re.findall(r"\d+", python.parents[1].name))


def _pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    if shutil.which("pyenv"):
        found = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, check=False
        )
        if found.returncode == 0 and found.stdout.strip():
            return Path(found.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _interpreter(python: str) -> str:
    """The newest pyenv build of ``python`` if there is one, else ``python``.

    pyenv's shims of versions it does not have active do not run, so nox
    would find a shim on PATH and fail; the build's own path works.
    """
    root = _pyenv_root()
    if root is None:
        return python
    builds = sorted(
        root.glob(f"versions/{python}.*/bin/python{python}"), key=_version_key
    )
    return str(builds[-1]) if builds else python


# "3.11/5.2": the combination CI's main job has just run the whole suite on.
DONE_ENV = "ISOLATEDTEST_SUITE_DONE_ON"


def _run_tests(session: nox.Session, python: str, django: str) -> None:
    if os.environ.get(DONE_ENV) == f"{python}/{django}" and not session.posargs:
        session.skip(f"the whole suite ran on Python {python}, Django {django}")
    # Compile bytecode at install, as pip does and uv does not by default:
    # with PYTHONDONTWRITEBYTECODE set, every manage.py run of the tests would
    # otherwise compile Django again.
    session.install(
        ".[test]",
        f"django~={django}.0",
        *COMPAT_DEPS,
        env={"UV_COMPILE_BYTECODE": "1"},
    )
    installed = session.run(
        "python", "-c", "import django; print(django.__version__)", silent=True
    )
    if installed is not None and not installed.strip().startswith(f"{django}."):
        session.error(f"expected Django {django}.x, got {installed.strip()}")
    if session.posargs:
        session.run("python", "-m", "pytest", *session.posargs)
        return
    if (python, django) == FULL:
        # django-redis's tests ran in the test command, on the same release.
        session.run(
            "python", "-m", "pytest", "--ignore=tests/test_conformance_redis.py"
        )
        return
    selection = SUBSET + PYTEST_PLUGIN
    selection += BACKENDS if (python, django) in BACKENDS_ON else []
    # Two pytest-xdist workers: the tests mostly wait for the subprocesses
    # they start.
    session.run("python", "-m", "pytest", *_existing(session, selection), "-n", "2")
    if (python, django) in CONFORMANCE_ON:
        # The backends' own tests start their runs once per session, in one
        # process, and mostly sleep: alone, they take about a minute and a half.
        session.run("python", "-m", "pytest", *_existing(session, CONFORMANCE))


def _existing(session: nox.Session, files: list[str]) -> list[str]:
    """The files that exist; a warning names the others (renamed? update here)."""
    missing = [name for name in files if not Path(name.split("::")[0]).is_file()]
    if missing:
        session.warn(f"not in the work tree, not run: {', '.join(missing)}")
    return [name for name in files if name not in missing]


def _define_sessions(python: str) -> None:
    """Python's sessions, one per Django version: tests-3.12(django='6.0')."""
    djangos = [django for django, pythons in MATRIX.items() if python in pythons]

    @nox.session(name=f"tests-{python}", python=_interpreter(python), tags=["tests"])
    @nox.parametrize("django", djangos)
    def tests(session: nox.Session, django: str) -> None:
        _run_tests(session, python, django)


for _python in PYTHONS:
    _define_sessions(_python)
