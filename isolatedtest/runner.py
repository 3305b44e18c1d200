"""Compose cache isolation into any DiscoverRunner-based test runner.

Serial runs get a result class that opens and closes the scopes. Parallel
runs get a ParallelTestSuite whose workers build the same into their own result
class; worker-side functions live at module level because multiprocessing
pickles them by reference.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import multiprocessing
import multiprocessing.util
import os
import signal
import sys
import unittest

from django.core.management.base import CommandError
from django.test.runner import DiscoverRunner, ParallelTestSuite

from isolatedtest.conf import run_id
from isolatedtest.culprits import UnittestRerun
from isolatedtest.engine import Engine
from isolatedtest.options import OPTIONS, Options, add_arguments, resolve
from isolatedtest.resources.adoption import forget_all
from isolatedtest.result import (
    IsolatingSuite,
    IsolationResultMixin,
    WorkerResultMixin,
)
from isolatedtest.session import Session

WORKER_OPTIONS_ENV = "ISOLATEDTEST_WORKER_OPTIONS"
HINT = "Run with -v 2 to list them, -v 3 for keys."


class IsolationRunnerMixin:
    """Mix into a DiscoverRunner subclass to isolate every test's caches."""

    def __init__(self, *args, **kwargs) -> None:
        given = {option.dest: kwargs.pop(option.dest, None) for option in OPTIONS}
        super().__init__(*args, **kwargs)
        # Checked now: before any database is created.
        self.isolation = Session(resolve(given), self.verbosity, HINT)
        self.parallel_test_suite = isolated_parallel_suite(self.parallel_test_suite)
        self.test_runner = self._isolating_test_runner(self.test_runner)
        self._engine: Engine | None = None
        self._serial = False  # the results run the engine (not a parallel run's)

    @classmethod
    def add_arguments(cls, parser) -> None:
        super().add_arguments(parser)
        add_arguments(parser)

    def setup_test_environment(self, **kwargs) -> None:
        # Check the configuration before any database is created.
        self._run_id = run_id()
        self._engine = self.isolation.build(self._run_id, "--strict")
        super().setup_test_environment(**kwargs)

    def _isolating_test_runner(self, test_runner: type) -> type:
        """Return ``test_runner`` (unittest's runner) making isolating results.

        Whatever result class the runner ends up with (its default, one the
        DiscoverRunner passes, like --debug-sql's and --pdb's, or one it
        picks itself, like unittest-xml-reporting's), isolation is mixed in.
        """
        owner = self

        class IsolatingTestRunner(test_runner):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.resultclass = owner._isolated_result_class(self.resultclass)

        IsolatingTestRunner.__name__ = f"Isolating{test_runner.__name__}"
        return IsolatingTestRunner

    def _isolated_result_class(self, base: type) -> type:
        return type(
            f"Isolated{base.__name__}",
            (IsolationResultMixin, base),
            {
                "engine": self._engine if self._serial else None,
                "session": self.isolation,
                "ledger": self.isolation.ledger,
            },
        )

    def run_suite(self, suite, **kwargs):
        session = self.isolation
        if isinstance(suite, ParallelTestSuite):
            options = {o.name: getattr(session.options, o.name) for o in OPTIONS}
            for subsuite in suite.subsuites:
                isolating_suite(subsuite)
            suite.isolation_options = {
                **options,
                "run_id": self._run_id,
                "verbosity": self.verbosity,  # leaks named there, if listed here
                "parent": os.getpid(),
            }
            result = super().run_suite(suite, **kwargs)
        else:
            isolating_suite(suite)
            self._engine.start_run()
            self._serial = True
            try:
                result = super().run_suite(suite, **kwargs)
            finally:
                session.end_run(self._engine)
        stream = getattr(result, "stream", None) or sys.stderr
        session.finish(lambda line: stream.write(line + "\n"))
        stream.flush()
        self._failed = {test.id() for test, _ in (*result.failures, *result.errors)}
        return result

    def run_tests(self, *args, **kwargs):
        """Run the tests; then, their databases gone, confirm and write files."""
        self._failed: set[str] | None = None
        try:
            return super().run_tests(*args, **kwargs)
        finally:
            if self._failed is not None:  # the suite ran
                self.isolation.conclude(
                    lambda line: sys.stderr.write(line + "\n"),
                    UnittestRerun(),
                    max(1, self.parallel),
                    os.getcwd(),
                    self._failed.__contains__,
                )


class IsolatedDiscoverRunner(IsolationRunnerMixin, DiscoverRunner):
    """DiscoverRunner with cache isolation, for the TEST_RUNNER setting."""


def isolated_runner(runner_class: type) -> type[DiscoverRunner]:
    """Return ``runner_class`` with isolation composed in."""
    if not (
        isinstance(runner_class, type) and issubclass(runner_class, DiscoverRunner)
    ):
        path = f"{runner_class.__module__}.{runner_class.__qualname__}"
        raise CommandError(
            f"The test runner {path} is not based on "
            "django.test.runner.DiscoverRunner, so isolatedtest cannot add cache "
            "isolation to it. Base it on DiscoverRunner, or run "
            "`manage.py test` without isolation."
        )
    if issubclass(runner_class, IsolationRunnerMixin):
        return runner_class
    return type(
        f"Isolated{runner_class.__name__}", (IsolationRunnerMixin, runner_class), {}
    )


def isolated_parallel_suite(suite_class: type) -> type:
    """Return ``suite_class`` with workers that isolate their tests."""
    if issubclass(suite_class, IsolatedParallelSuiteMixin):
        return suite_class
    return type(
        f"Isolated{suite_class.__name__}",
        (IsolatedParallelSuiteMixin, suite_class),
        {"runner_class": _composed(suite_class.runner_class, WorkerRunnerMixin)},
    )


def isolating_suite(suite: unittest.TestSuite) -> unittest.TestSuite:
    """Make ``suite``, and every suite in it, tell the result where fixtures begin.

    Their classes get ``IsolatingSuite`` mixed in, in place: the runner
    holds the suite, and a copy would keep every test alive until the run
    ends.
    """
    suites = [suite]
    while suites:
        current = suites.pop()
        current.__class__ = _composed(type(current), IsolatingSuite)
        suites += [test for test in current if isinstance(test, unittest.TestSuite)]
    return suite


# Worker side. Each worker process builds its own engine once, in its pool
# initializer (ParallelTestSuite.init_worker); the suite's runner_class makes
# results that carry the hook. The main process passes options through the
# environment, which both forked and spawned workers inherit.

_worker_engine: Engine | None = None
_worker_session: Session | None = None
_worker_results: dict[type, type] = {}


def _init_worker(*args, **kwargs) -> None:
    """Set up Django's worker, then this worker's isolation engine."""
    global _worker_engine, _worker_session
    ParallelTestSuite.init_worker(*args, **kwargs)
    options = json.loads(os.environ[WORKER_OPTIONS_ENV])
    _die_with(options.pop("parent"))
    run, verbosity = options.pop("run_id"), options.pop("verbosity")
    _worker_session = Session(Options(**options), verbosity, hint=HINT)
    forked = multiprocessing.get_start_method() == "fork"
    if forked:
        forget_all()  # the parent's engine does not adopt this process's caches
    _worker_engine = _worker_session.build(run)
    if forked:
        _worker_engine.start_worker()
    _worker_engine.start_run()
    # Remove the worker's remaining keys from shared servers when it exits.
    multiprocessing.util.Finalize(None, _worker_engine.end_run, exitpriority=10)


PR_SET_PDEATHSIG = 1  # prctl(2)


def _die_with(parent: int) -> None:
    """End this worker when the run's main process dies (Linux).

    Otherwise a worker of a killed run goes on running its tests (and using
    shared servers) until they end, with no one to report to.
    """
    if not sys.platform.startswith("linux"):
        return
    # The signal comes when this process's parent dies: the main process,
    # or under forkserver the server, which ends with the main process.
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        os.kill(parent, 0)
    except ProcessLookupError:  # it died before prctl
        os._exit(1)


class WorkerRunnerMixin:
    """A worker's test runner, whose results carry the hook (``runner_class``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.resultclass = _worker_result(self.resultclass)


def _worker_result(base: type) -> type:
    if base not in _worker_results:
        _worker_results[base] = type(
            f"Isolated{base.__name__}",
            (WorkerResultMixin, base),
            {"engine": _worker_engine, "session": _worker_session},
        )
    return _worker_results[base]


# Composed classes (workers' runners, suites): ParallelTestSuite hands its
# runner_class and subsuites to the workers pickled, that is by name, so each
# has one in this module.
_COMPOSED = "Isolating_"


def _composed(base: type, mixin: type) -> type:
    """Return the class made of ``mixin`` and ``base``, by a name in this module."""
    if issubclass(base, mixin):
        return base
    path = f"{mixin.__name__}:{base.__module__}:{base.__qualname__}"
    return getattr(sys.modules[__name__], _COMPOSED + path.encode().hex())


def __getattr__(name: str) -> type:
    """Make a composed class on first use (in a spawned worker too)."""
    if not name.startswith(_COMPOSED):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    path = bytes.fromhex(name[len(_COMPOSED) :]).decode()
    mixin_name, module, qualname = path.split(":")
    mixin = {m.__name__: m for m in (WorkerRunnerMixin, IsolatingSuite)}[mixin_name]
    base = importlib.import_module(module)
    for part in qualname.split("."):
        base = getattr(base, part)
    composed = type(name, (mixin, base), {"__module__": __name__, "__qualname__": name})
    globals()[name] = composed
    return composed


class IsolatedParallelSuiteMixin:
    """ParallelTestSuite whose workers isolate their tests."""

    init_worker = _init_worker
    isolation_options: dict

    def run(self, result):
        previous = os.environ.get(WORKER_OPTIONS_ENV)
        os.environ[WORKER_OPTIONS_ENV] = json.dumps(self.isolation_options)
        try:
            return super().run(result)
        finally:
            if previous is None:
                del os.environ[WORKER_OPTIONS_ENV]
            else:
                os.environ[WORKER_OPTIONS_ENV] = previous
