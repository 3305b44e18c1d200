"""Compose cache isolation into any DiscoverRunner-based test runner.

Serial runs get a result class that carries the hook. Parallel runs get a
ParallelTestSuite whose workers build the same hook into their own result
class; worker-side functions live at module level because multiprocessing
pickles them by reference.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.util
import os
import sys

from django.core.management.base import CommandError
from django.test.runner import DiscoverRunner, ParallelTestSuite

from isolatedtest.conf import (
    DEPENDENCIES_ENV,
    NO_ISOLATION_ENV,
    REPORT_ENV,
    STRICT_ENV,
    load_config,
    run_id,
    run_options,
)
from isolatedtest.isolation import Isolation
from isolatedtest.ledger import Ledger
from isolatedtest.report import not_isolated_message, summary, write_json
from isolatedtest.result import (
    Hook,
    IsolationResultMixin,
    WorkerResultMixin,
    make_hook,
)
from isolatedtest.stores import build_stores
from isolatedtest.stores.access import AccessStore

WORKER_OPTIONS_ENV = "ISOLATEDTEST_WORKER_OPTIONS"


def add_isolation_arguments(parser) -> None:
    """Add isolatedtest's own command-line options."""
    group = parser.add_argument_group("cache isolation (isolatedtest)")
    group.add_argument(
        "--strict",
        action="store_true",
        default=None,
        dest="isolation_strict",
        help="Fail each test (or class) that leaves cache state behind "
        f"(or set {STRICT_ENV}=1).",
    )
    group.add_argument(
        "--leak-report",
        metavar="FILE",
        dest="isolation_report",
        help=f"Write every leak found to FILE as JSON (or set {REPORT_ENV}).",
    )
    group.add_argument(
        "--cache-dependencies",
        action="store_true",
        default=None,
        dest="isolation_dependencies",
        help="Name the tests that read cache state other tests leave behind "
        f"(or set {DEPENDENCIES_ENV}=1).",
    )
    group.add_argument(
        "--no-isolation",
        action="store_false",
        default=None,
        dest="isolation_reset",
        help="Do not undo cache writes between tests; only find and report "
        f"leaks, to see what isolation prevents (or set {NO_ISOLATION_ENV}=1).",
    )


class IsolationRunnerMixin:
    """Mix into a DiscoverRunner subclass to isolate every test's caches."""

    def __init__(
        self,
        *args,
        isolation_strict: bool | None = None,
        isolation_report: str | None = None,
        isolation_reset: bool | None = None,
        isolation_dependencies: bool | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        options = run_options(
            isolation_strict, isolation_report, isolation_reset, isolation_dependencies
        )
        self.isolation_strict = options.strict
        self.isolation_report = options.report
        self.isolation_reset = options.reset
        self.isolation_dependencies = options.dependencies
        self.parallel_test_suite = isolated_parallel_suite(self.parallel_test_suite)
        self.test_runner = self._isolating_test_runner(self.test_runner)
        self._hook: Hook | None = None
        # Every record is kept only when reported in detail.
        self._ledger = Ledger(
            detailed=self.verbosity >= 2
            or bool(self.isolation_report)
            or self.isolation_dependencies
        )
        self._accesses: AccessStore | None = None
        self._unsupported: list = []

    @classmethod
    def add_arguments(cls, parser) -> None:
        super().add_arguments(parser)
        add_isolation_arguments(parser)

    def setup_test_environment(self, **kwargs) -> None:
        # Check the configuration before any database is created.
        config = load_config()
        self._run_id = run_id()
        stores, self._unsupported = build_stores(
            config, self.isolation_reset, self._run_id
        )
        self._engine = Isolation(stores)
        if self.isolation_dependencies:
            self._accesses = AccessStore(config, self.isolation_reset)
        for item in self._unsupported:
            if self.isolation_strict:
                raise CommandError(not_isolated_message(item, "--strict"))
            sys.stderr.write(not_isolated_message(item, None) + "\n")
        super().setup_test_environment(**kwargs)

    def _isolating_test_runner(self, test_runner: type) -> type:
        """Return ``test_runner`` (unittest's runner) making isolating results.

        Whatever result class the runner ends up with (its default, one the
        DiscoverRunner passes, like --debug-sql's and --pdb's, or one it
        picks itself, like unittest-xml-reporting's), the hook is mixed in.
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
            {"hook": self._hook, "ledger": self._ledger},
        )

    def run_suite(self, suite, **kwargs):
        if isinstance(suite, ParallelTestSuite):
            suite.isolation_options = {
                "strict": self.isolation_strict,
                "reset": self.isolation_reset,
                "run_id": self._run_id,
                "dependencies": self.isolation_dependencies,
            }
            result = super().run_suite(suite, **kwargs)
        else:
            self._engine.start_run()
            self._hook = make_hook(
                self._engine, self.isolation_strict, self._ledger.append, self._accesses
            )
            try:
                result = super().run_suite(suite, **kwargs)
            finally:
                self._ledger.append(("run", "", self._engine.end_run()))
        self._report(result)
        return result

    def _report(self, result) -> None:
        stream = getattr(result, "stream", None) or sys.stderr
        stream.write(
            summary(
                self._ledger,
                self.isolation_reset,
                self.verbosity,
                self.isolation_dependencies,
            )
            + "\n"
        )
        stream.flush()
        if self.isolation_report:
            write_json(
                self.isolation_report,
                self._ledger,
                isolated=self.isolation_reset,
                strict=self.isolation_strict,
                unsupported=self._unsupported,
                dependencies=self.isolation_dependencies,
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
        f"Isolated{suite_class.__name__}", (IsolatedParallelSuiteMixin, suite_class), {}
    )


# Worker side. Each worker process builds its own engine once, in its pool
# initializer, and wraps the runner class it is handed in a result class that
# carries the hook. The main process passes options through the environment,
# which both forked and spawned workers inherit.

_worker_engine: Isolation | None = None
_worker_strict = False
_worker_accesses: AccessStore | None = None
_worker_runners: dict[type, type] = {}


def _init_worker(*args, **kwargs) -> None:
    """Set up Django's worker, then this worker's isolation engine."""
    global _worker_engine, _worker_strict, _worker_accesses
    ParallelTestSuite.init_worker(*args, **kwargs)
    options = json.loads(os.environ[WORKER_OPTIONS_ENV])
    config = load_config()
    stores, _ = build_stores(config, options["reset"], options["run_id"])
    _worker_engine = Isolation(stores)
    _worker_strict = options["strict"]
    if options["dependencies"]:
        _worker_accesses = AccessStore(config, options["reset"])
    if multiprocessing.get_start_method() == "fork":
        _worker_engine.start_worker()
    _worker_engine.start_run()
    # Remove the worker's remaining keys from shared servers when it exits.
    multiprocessing.util.Finalize(None, _worker_engine.end_run, exitpriority=10)


def _run_subsuite(args):
    """Run one subsuite with a runner whose result carries the hook."""
    runner_class, *rest = args
    return ParallelTestSuite.run_subsuite((_worker_runner(runner_class), *rest))


def _worker_runner(runner_class: type) -> type:
    if runner_class not in _worker_runners:
        base = runner_class.resultclass
        result_class = type(
            f"Isolated{base.__name__}",
            (WorkerResultMixin, base),
            {
                "engine": _worker_engine,
                "strict": _worker_strict,
                "accesses": _worker_accesses,
            },
        )
        _worker_runners[runner_class] = type(
            f"Isolated{runner_class.__name__}",
            (runner_class,),
            {"resultclass": result_class},
        )
    return _worker_runners[runner_class]


class IsolatedParallelSuiteMixin:
    """ParallelTestSuite whose workers isolate their tests."""

    init_worker = _init_worker
    run_subsuite = _run_subsuite
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
