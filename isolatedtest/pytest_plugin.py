"""The pytest front end: the same isolation, report and strict mode as the command.

Registered through the ``pytest11`` entry point, active whenever Django is
configured for the run: before the tests start, or by a fixture of the first
test (a conftest.py that calls ``django.setup()`` there). pytest's scopes
nest deeper than unittest's: every collector of a test's chain (session,
package, directory, module, class) is a scope, opened once pytest has set
the node up and closed when it tears it down, after the node's fixtures'
finalizers (isolatedtest's finalizer is the first registered on the node, so
it runs last). What a fixture writes belongs to its scope, even when pytest
first sets it up inside some test's set-up. A test's scope opens after its
outer fixtures and before its function-scoped ones, and closes after their
teardown.

With pytest-xdist, each worker isolates its own tests (its namespaces on
shared servers carry its pid) and hands its leaks to the controller at the
end; the controller prints one summary and writes one report.
"""

from __future__ import annotations

import functools
import os

import pytest

MARKER = "no_isolation"
HINT = "Run with -v to list them, -vv for keys."
_KEY = "isolatedtest"  # in xdist's workerinput and workeroutput


class LeakFailure(AssertionError):
    """A strict-mode leak: the test (or scope) that left cache state fails."""


def pytest_addoption(parser: pytest.Parser) -> None:
    from isolatedtest.options import add_pytest_options

    add_pytest_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: leave a test (or a class's or module's tests) out of cache "
        "isolation; its writes stay for the next tests of its scope.",
    )
    config.pluginmanager.register(Isolating(config), "isolatedtest-session")


class Isolating:
    """The run's isolation in one pytest process (serial, worker or controller)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.engine = None
        self.session = None  # isolatedtest.session.Session, once options are read
        self.configured: bool | None = None  # known when the tests start
        self._waiting = False  # for a fixture to configure Django
        self._scopes: dict[object, object] = {}  # {node: its engine scope}
        self._test_open = False
        self._exempt = False
        self._item: pytest.Item | None = None
        self._synced: pytest.Item | None = None  # whose collectors have scopes
        self._shared_run_id: str | None = None  # the controller's, for workers
        self._exempt_attribute = ""  # set by @no_isolation (result.py)
        self._failed: set[str] = set()  # node ids of tests that failed
        self._ran: list[str] = []  # node ids of the tests that ran, not yet noted
        self._controller = getattr(config.option, "dist", "no") != "no" and not hasattr(
            config, "workerinput"
        )

    # Start and end.

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        self._start()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """After pytest has torn every node down (also after -x stopped it)."""
        if self.engine is not None:
            self.session.end_run(self.engine)
            self.engine = None
        if self.session is not None and hasattr(self.config, "workerinput"):
            self.config.workeroutput[_KEY] = self.session.export()
        elif self.configured is False and hasattr(self.config, "workerinput"):
            self.config.workeroutput[_KEY] = None

    def _start(self) -> None:
        # Django and the engine are imported only now: pytest loads this
        # plugin for every run in the environment, Django's or not.
        from django.conf import settings
        from django.core.management.base import CommandError

        self.configured = bool(
            settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE")
        )
        if not self.configured:
            # A fixture may still configure it (_start_late); the controller
            # of xdist workers hears from them.
            self._waiting = not self._controller
            if self._controller:
                self.configured = None
            return
        try:
            self._read_options()
            if self._controller:
                return  # the workers run the tests
            # pytest-django empties SITE_CACHE before every test itself.
            cleared = getattr(
                self.config.pluginmanager.get_plugin("django"),
                "_django_clear_site_cache",
                None,
            )
            off = ("sites",) if cleared else ()
            self.engine = self.session.build(self._run_id(), "--isolation-strict", off)
        except CommandError as error:  # a ConfigurationError, or --strict refusing
            self.session = None  # nothing ran: nothing to sum up
            raise pytest.UsageError(f"isolatedtest: {error}") from None
        from isolatedtest.result import EXEMPT_ATTRIBUTE

        self.engine.start_run()
        self._exempt_attribute = EXEMPT_ATTRIBUTE

    def _run_id(self) -> str:
        from isolatedtest.conf import run_id

        workerinput = getattr(self.config, "workerinput", None)
        if workerinput is not None and _KEY in workerinput:
            return workerinput[_KEY]
        return run_id()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        """Give every xdist worker the run's id (a restarted worker too)."""
        from isolatedtest.conf import run_id

        if self._shared_run_id is None:
            self._shared_run_id = run_id()
        node.workerinput[_KEY] = self._shared_run_id

    def _start_late(self) -> None:
        """Start isolation once a fixture of this test has configured Django."""
        from django.conf import settings

        if not settings.configured:
            return
        self._waiting = False
        self._start()
        if self.engine is not None:
            self._exempt = _is_exempt(self._item, self._exempt_attribute)
            self._open_test()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        output = getattr(node, "workeroutput", {})
        if _KEY not in output:
            return
        exported = output[_KEY]
        if exported is None:
            self.configured = self.configured or False
            return
        if self.session is None:  # Django is configured in the workers only
            self._read_options()
        self.configured = True
        self.session.absorb(exported)

    def _read_options(self) -> None:
        """Read the run's options (command line, environment, ini file)."""
        from isolatedtest.options import OPTIONS, resolve
        from isolatedtest.session import Session

        config = self.config
        given = {option.dest: config.getoption(option.dest) for option in OPTIONS}
        options = resolve(given, lambda option: config.getini(option.ini))
        # pytest's -v lists what unittest's -v 2 does.
        verbosity = config.get_verbosity() + 1
        self.session = Session(options, verbosity, HINT)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if hasattr(self.config, "workerinput"):
            return
        if self.configured is False:
            terminalreporter.write_line(
                "isolatedtest: Django is not configured (no DJANGO_SETTINGS_MODULE, "
                "--ds or settings.configure() in conftest.py): caches are NOT "
                "isolated. Turn the plugin off with -p no:isolatedtest."
            )
            return
        if self.session is None:
            return
        from isolatedtest.culprits import PytestRerun

        self._note_ran()
        self.session.finish(terminalreporter.write_line)
        workers = getattr(self.config.option, "numprocesses", None)
        self.session.conclude(
            terminalreporter.write_line,
            PytestRerun(xdist=self.config.pluginmanager.hasplugin("xdist")),
            workers if isinstance(workers, int) and workers > 0 else 1,
            str(self.config.rootpath),
            self._failed.__contains__,
        )

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            self._failed.add(report.nodeid)
        if report.when == "teardown" and not hasattr(self.config, "workerinput"):
            self._ran.append(report.nodeid)
            if len(self._ran) >= 1000 and self.session is not None:
                self._note_ran()

    def _note_ran(self) -> None:
        """Tell the baseline which tests ran (a batch at a time: none kept)."""
        baseline = self.session.baseline
        if baseline is not None:
            for nodeid in self._ran:
                baseline.ran(nodeid)
        self._ran = []

    # Scopes.

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        if self.engine is None:
            if self._waiting:
                self._item = item
                try:
                    return (yield)
                finally:
                    if self.engine is None:
                        self._item = None
            return (yield)
        self._item = item
        self._exempt = _is_exempt(item, self._exempt_attribute)
        result = yield
        self._open_test()  # its set-up had no function-scoped fixture
        return result

    def _open_scopes(self) -> None:
        """Open a scope for each collector pytest has set up for the test.

        Called before the first fixture of the test's set-up (or at its end),
        when pytest has set up every collector of the test's chain and no
        fixture has registered a finalizer on those it set up for this test:
        the scope's close, registered first, runs after all of them.
        (pytest may skip a test before setting up any collector.)
        """
        item = self._item
        self._synced = item
        for node in item.listchain()[:-1]:
            if node not in self._scopes:
                self._scopes[node] = self.engine.open(_kind(node), node.nodeid)
                node.addfinalizer(functools.partial(self.close_node, node))

    def _open_test(self) -> None:
        """Open the test's scope, after its wider fixtures, before its own.

        Its close is the item's first finalizer, so it runs after those of
        its function-scoped fixtures. (Nothing is set on the item: a new
        attribute would cost every test's instance dict its key sharing.)
        """
        if self._test_open:
            return
        if self._synced is not self._item:
            self._open_scopes()
        self._test_open = True
        self._item.addfinalizer(self._close_test)
        self.engine.open("test", self._item.nodeid, self._exempt)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if self._waiting and self._item is not None:
            try:
                return (yield)
            finally:
                self._start_late()
        if self.engine is None or self._item is None:  # not in a test's set-up
            return (yield)
        if fixturedef.scope == "function":
            if not self._test_open:
                self._open_test()
            return (yield)
        if self._synced is not self._item:
            self._open_scopes()
        scope = self._scopes.get(request.node)
        if scope is None:
            return (yield)
        self.engine.begin_fixture(scope)
        try:
            return (yield)
        finally:
            self.engine.end_fixture(scope)

    def _close_test(self) -> None:
        __tracebackhide__ = True
        item, self._item = self._item, None
        self._test_open = False
        self._charge("test", item.nodeid, self.engine.close())

    def close_node(self, node) -> None:
        """End a collector's scope, once pytest has torn its fixtures down."""
        __tracebackhide__ = True
        del self._scopes[node]
        kind = _kind(node)
        self._charge(kind, node.nodeid or kind, self.engine.close())

    def _charge(self, scope: str, name: str, outcomes: list) -> None:
        __tracebackhide__ = True
        if not outcomes:
            return
        self.session.ledger.append((scope, name, outcomes))
        message = self.session.failure(scope, name, outcomes)
        if message:
            raise LeakFailure(message)

    # A leak under --isolation-strict fails the test: counted as failed, not
    # as an error of its teardown.

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if call.excinfo is not None and _only_leaks(call.excinfo.value):
            report.isolatedtest_leak = True
        return report

    def pytest_report_teststatus(self, report):
        if getattr(report, "isolatedtest_leak", False) and report.failed:
            return "failed", "F", "FAILED"
        return None


def _only_leaks(error: BaseException) -> bool:
    """Whether ``error`` is a leak, or a group of them (a test's and its module's)."""
    group = getattr(error, "exceptions", None)
    if group is not None:
        return all(_only_leaks(inner) for inner in group)
    return isinstance(error, LeakFailure)


def _kind(node) -> str:
    """Name a node's scope as pytest's fixture scopes do."""
    for kind in (pytest.Class, pytest.Module, pytest.Package, pytest.Session):
        if isinstance(node, kind):
            return kind.__name__.lower()
    return "directory"


def _is_exempt(item: pytest.Item, attribute: str) -> bool:
    """Whether the no_isolation marker or ``@no_isolation`` (``attribute``) applies."""
    if item.get_closest_marker(MARKER) is not None:
        return True
    return bool(
        getattr(getattr(item, "obj", None), attribute, False)
        or getattr(getattr(item, "cls", None), attribute, False)
    )
