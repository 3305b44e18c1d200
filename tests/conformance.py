"""Django's own cache tests, plain and isolated: the outcomes must be the same.

Django's source distribution ships its test suite; ``tests/cache`` is the
reference for what a cache does. This module fetches the sdist of the
installed Django, runs ``tests/cache`` through its ``runtests.py`` once with
Django's DiscoverRunner and once with isolation composed in (as
``manage.py isolatedtest`` composes it), and records every test's outcome.
Both runners record through the same result class, so the only difference
between the two runs is isolation.

``tests/test_conformance.py`` runs it in the test suite; by hand:

    python tests/conformance.py                  # default test settings, serial
    python tests/conformance.py --parallel 2 --redis 127.0.0.1:6390 \\
        --memcached 127.0.0.1:11290              # with servers you started

Django's cache tests enable their Redis and Memcached classes when CACHES
has an alias with that backend; plain runs FLUSHDB and flush_all them, so
give each run servers of its own.
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

RESULTS_ENV = "CONFORMANCE_RESULTS"
CACHE_DIR = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    / "isolatedtest-conformance"
)
RUN_TIMEOUT = 600  # seconds, per runtests.py run
# Tests Django itself later found to fail at random, left out of both runs
# where the installed Django has them unfixed: {id suffix: first fixed version}.
# FileBasedCacheTests.test_touch sleeps against a one-second timeout on real
# files (django/django#17614 mocked its clock, in Django 5.0).
FLAKY_UPSTREAM = {
    "FileBasedCacheTests.test_touch": (5, 0),
    "FileBasedCachePathLibTests.test_touch": (5, 0),
}
SEVERITY = ["ok", "skipped", "expected failure", "unexpected success", "FAIL", "ERROR"]

# The runners runtests.py gets through TEST_RUNNER. Importing Django here is
# fine: this module is imported by runtests.py, after Django is set up.
try:
    from django.test.runner import DiscoverRunner
except ImportError:  # pragma: no cover - only the command line needs Django
    DiscoverRunner = object


class RecordingResult(unittest.TextTestResult):
    """Record each test's outcome (the worst of its subtests') to a JSON file."""

    outcomes: dict[str, str]

    def startTestRun(self):
        super().startTestRun()
        self.outcomes = {}

    def _record(self, test, outcome: str) -> None:
        name = test.id()
        known = self.outcomes.get(name, "ok")
        self.outcomes[name] = max(known, outcome, key=SEVERITY.index)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "FAIL")

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "ERROR")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "unexpected success")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._record(test, "FAIL" if failed else "ERROR")

    def stopTestRun(self):
        super().stopTestRun()
        Path(os.environ[RESULTS_ENV]).write_text(json.dumps(self.outcomes, indent=1))


class PlainRunner(DiscoverRunner):
    def get_resultclass(self):
        return RecordingResult

    def load_tests_for_label(self, label, discover_kwargs):
        import django
        from django.test.utils import iter_test_cases

        tests = super().load_tests_for_label(label, discover_kwargs)
        flaky = tuple(
            name for name, fixed in FLAKY_UPSTREAM.items() if fixed > django.VERSION
        )
        if not flaky:
            return tests
        kept = iter_test_cases(tests)
        return unittest.TestSuite(t for t in kept if not t.id().endswith(flaky))


@functools.cache
def _isolated_runner() -> type:
    from isolatedtest.runner import isolated_runner

    return isolated_runner(PlainRunner)


def __getattr__(name: str):
    # Built on first use, so that the plain run never imports isolatedtest.
    if name == "IsolatedRunner":
        return _isolated_runner()
    raise AttributeError(name)


def django_tests(version: str) -> Path:
    """Return the ``tests`` directory of Django ``version``'s sdist (fetched once)."""
    return sdist("django", version, ("tests/",)) / "tests"


def sdist(package: str, version: str, wanted: tuple[str, ...]) -> Path:
    """Return the directory of ``package``'s sdist, with only ``wanted`` paths.

    Fetched once into CACHE_DIR, under a lock: pytest-xdist's workers ask
    for it at the same time on a fresh machine.
    """
    root = CACHE_DIR / f"{package}-{version}"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if root.is_dir():
            return root
        with tempfile.TemporaryDirectory(dir=CACHE_DIR) as download:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    f"{package}=={version}",
                    "--dest",
                    download,
                ],
                check=True,
            )
            (archive,) = Path(download).glob("*.tar.gz")
            with tarfile.open(archive) as archived:
                top = archived.getnames()[0].split("/")[0]
                prefixes = tuple(f"{top}/{path}" for path in wanted)
                members = [
                    m for m in archived.getmembers() if m.name.startswith(prefixes)
                ]
                archived.extractall(download, members=members, filter="data")
            (Path(download) / top).rename(root)
    return root


def settings_module(
    directory: Path, isolated: bool, redis: str | None, memcached: str | None
) -> str:
    """Write a settings module for runtests.py; return its name."""
    runner = "IsolatedRunner" if isolated else "PlainRunner"
    lines = [
        "from test_sqlite import *  # noqa: F403",
        f"TEST_RUNNER = 'conformance.{runner}'",
    ]
    if redis or memcached:
        caches = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        }
        if redis:
            caches["redis"] = {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://{redis}",
            }
        if memcached:
            caches["memcached"] = {
                "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                "LOCATION": memcached,
            }
        lines.append(f"CACHES = {caches!r}")
    name = f"conformance_{'isolated' if isolated else 'plain'}"
    (directory / f"{name}.py").write_text("\n".join(lines) + "\n")
    return name


def start(
    tests: Path,
    directory: Path,
    isolated: bool,
    parallel: int = 1,
    redis: str | None = None,
    memcached: str | None = None,
    labels: tuple[str, ...] = ("cache",),
    strict: bool = False,
) -> tuple[subprocess.Popen, Path]:
    """Start one runtests.py run of ``labels``; return it and its results file.

    With ``strict``, the isolated run fails each scope that leaks: what
    differs from the plain run is then what --strict would fail.
    """
    directory.mkdir(parents=True, exist_ok=True)
    settings = settings_module(directory, isolated, redis, memcached)
    results = directory / "results.json"
    paths = [str(directory), str(Path(__file__).parent)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ISOLATEDTEST_")},
        "PYTHONPATH": os.pathsep.join(paths),
        RESULTS_ENV: str(results),
        **({"ISOLATEDTEST_STRICT": "1"} if strict and isolated else {}),
    }
    command = [
        sys.executable,
        "runtests.py",
        *labels,
        f"--settings={settings}",
        f"--parallel={parallel}",
        "--noinput",
    ]
    log = (directory / "output.txt").open("w")
    process = subprocess.Popen(
        command, cwd=tests, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    return process, results


def finish(process: subprocess.Popen, results: Path) -> dict[str, str]:
    """Wait for a run; return {test id: outcome}."""
    process.wait(timeout=RUN_TIMEOUT)
    output = results.parent / "output.txt"
    if not results.is_file():
        raise RuntimeError(f"runtests.py recorded no results:\n{output.read_text()}")
    return json.loads(results.read_text())


def failure_details(results: Path) -> str:
    """Return what a run printed about its failing tests (unittest's details)."""
    output = (results.parent / "output.txt").read_text()
    start = output.find("\n=====")
    return output[start:] if start >= 0 else output[-2000:]


def differences(plain: dict[str, str], isolated: dict[str, str]) -> dict:
    """Return {test id: (plain outcome, isolated outcome)} where they differ."""
    return {
        name: (plain.get(name), isolated.get(name))
        for name in sorted(set(plain) | set(isolated))
        if plain.get(name) != isolated.get(name)
    }


def main(argv: list[str] | None = None) -> int:
    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--redis", help="host:port of a Redis server to use")
    parser.add_argument("--memcached", help="host:port of a Memcached server to use")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="isolated run with --strict: the differences are its failures",
    )
    parser.add_argument(
        "labels", nargs="*", default=["cache"], help="Django's test apps (cache)"
    )
    args = parser.parse_args(argv)
    tests = django_tests(django.__version__)
    with tempfile.TemporaryDirectory() as work:
        outcomes = {}
        for isolated in (False, True):
            run = start(
                tests,
                Path(work) / ("isolated" if isolated else "plain"),
                isolated,
                args.parallel,
                args.redis,
                args.memcached,
                tuple(args.labels),
                args.strict,
            )
            outcomes[isolated] = finish(*run)
    differ = differences(outcomes[False], outcomes[True])
    print(
        f"Django {django.__version__}: {len(outcomes[False])} tests plain, "
        f"{len(outcomes[True])} isolated, {len(differ)} differ"
    )
    for name, (plain, isolated) in differ.items():
        print(f"  {name}: plain {plain}, isolated {isolated}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
