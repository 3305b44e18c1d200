"""The unittest layer: open and close isolation scopes from the suite and the result.

unittest runs a module's and a class's fixtures from its ``TestSuite``
(``setUpModule``, ``setUpClass``, ``tearDownClass``, class and module
cleanups), and each test through its ``TestResult``. ``IsolatingSuite``
tells the result when a module or a class begins, before its setup runs; the
result opens its scope and registers the scope's end as the module's or
class's first cleanup, so that it runs last (cleanups run last-in,
first-out), after every cleanup the setup registered (``addClassCleanup``,
``enterClassContext``, ``addModuleCleanup``). A test's scope opens in
``startTest`` and closes in ``stopTest``, after tearDown and every cleanup;
with ``--strict`` it closes in a ``test.addCleanup`` registered at
``startTest`` instead, the last cleanup to run, so that a leak can fail the
test. (A cleanup costs unittest about 2 µs per test, which is why it is kept
for --strict.) Hooking the suite and the result rather than a base class
covers every test whatever its class.
"""

from __future__ import annotations

import functools
import unittest
from collections.abc import Callable

from isolatedtest.engine import TEST, Engine
from isolatedtest.internals import class_setup_failed, module_setup_failed
from isolatedtest.ledger import Charge, Ledger
from isolatedtest.outcomes import Outcome, PendingLeak
from isolatedtest.session import Session

# Keep this module's frames out of the tracebacks of --strict failures.
__unittest = True

EXEMPT_ATTRIBUTE = "_isolatedtest_exempt"
CLASS = "class"
MODULE = "module"
LEAK_EVENT = "addIsolationLeak"


def no_isolation(test_item):
    """Leave a test class or method out of isolation.

    An exempt method's writes stay for the later tests of its class; an
    exempt class's tests share their writes. Both are still undone when the
    class ends, so other classes never see them.
    """
    setattr(test_item, EXEMPT_ATTRIBUTE, True)
    _exempt_names.add(getattr(test_item, "__name__", ""))
    return test_item


# The names of the functions @no_isolation marked: the classes to look at.
_exempt_names: set[str] = set()


class IsolatingSuite(unittest.TestSuite):
    """A TestSuite that tells the result where modules and classes begin.

    unittest's suite runs the fixtures (these are its methods, listed in
    ``internals.py``); the result it runs them for opens the scopes, if it
    is an ``IsolatingResult``.
    """

    _entering: str | None = None  # the module whose setup comes next

    def _handleModuleFixture(self, test, result):
        # Called before each test; only a new class can start a module or a
        # class. unittest ends the previous module (_handleModuleTearDown)
        # only when the module changes: the new one's scope opens right
        # after that, and the class's once the module's setup is done.
        cls = type(test)
        if cls is getattr(result, "_previousTestClass", None):
            return  # the same class: unittest has nothing to do here either
        if getattr(result, "engine", None) is None:
            return super()._handleModuleFixture(test, result)
        self._entering = cls.__module__
        try:
            super()._handleModuleFixture(test, result)
        finally:
            self._entering = None
        end = result.start_class(cls)
        if end is not None:
            cls.addClassCleanup(end)

    def _handleModuleTearDown(self, result):
        super()._handleModuleTearDown(result)
        if self._entering is not None:
            unittest.addModuleCleanup(result.start_module(self._entering))
            self._entering = None


class IsolatingResult:
    """A TestResult whose callbacks open and close the engine's scopes.

    Without an engine (a parallel run's main process) it only passes events
    on.
    """

    engine: Engine | None = None
    session: Session

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._class: type | None = None  # whose scope is open
        self._tested: type | None = None  # the class of the last test started
        self._class_passive = False
        self._exempt: frozenset[str] | None = None  # the class's exempt methods
        self._open = False  # a test's scope is open
        options = self.session.options if self.engine is not None else None
        self._strict = options is not None and options.strict
        # Test ids only where they are kept: making one costs.
        self._names = options is not None and options.dependencies
        self._named_leaks = options is not None and self.session.ledger.detailed

    def record(self, charge: Charge) -> None:
        """Keep what a scope left (or send it to the main process)."""
        raise NotImplementedError

    # The suite's calls: a module or class is about to set up.

    def start_module(self, name: str) -> Callable[[], None]:
        """Open a module's scope; return its end, the module's first cleanup."""
        self.engine.open(MODULE, name)
        return functools.partial(self._end_scope, MODULE, name, None, False)

    def start_class(self, cls: type) -> Callable[[], None] | None:
        """Open a class's scope, unless unittest skips it or has it open."""
        if (
            cls is self._class
            or getattr(cls, "__unittest_skip__", False)
            or module_setup_failed(self)
            or not hasattr(cls, "addClassCleanup")
        ):
            return None
        self._class = cls
        name = class_name(cls)
        # An exempt class's tests share its scope; it is undone, uncharged.
        exempt = getattr(cls, EXEMPT_ATTRIBUTE, False)
        self.engine.open(CLASS, name)
        return functools.partial(self._end_scope, CLASS, name, cls, exempt)

    def _end_scope(self, kind: str, name: str, cls: type | None, exempt: bool) -> None:
        """Close a module's or class's scope, after its other cleanups.

        A setup that failed reports its error: its writes are undone, not
        also charged.
        """
        if cls is not None and cls is self._class:
            self._class = None
        failed = class_setup_failed(cls) if cls else module_setup_failed(self)
        outcomes = self.engine.close(report=not (failed or exempt))
        if outcomes:
            self._charge(kind, name, outcomes, AssertionError)

    # The tests.

    def startTest(self, test):
        super().startTest(test)
        if self.engine is None:
            return
        cls = type(test)
        if cls is not self._tested:
            self._tested = cls
            # A skipped class runs neither its setup nor its class cleanups.
            exempt = getattr(cls, EXEMPT_ATTRIBUTE, False)
            self._class_passive = exempt or getattr(cls, "__unittest_skip__", False)
            self._exempt = None if self._class_passive else _exempt_methods(cls)
        if self._class_passive:
            return
        exempt = self._exempt is not None and test._testMethodName in self._exempt
        self.engine.open(TEST, test.id() if self._names else "", exempt)
        self._open = True
        if self._strict and not exempt:
            test.addCleanup(self._close_test, test)

    def stopTest(self, test):
        """Close the test's scope, unless its --strict cleanup already did."""
        if self._open:
            self._open = False
            outcomes = self.engine.close()
            if outcomes:
                # Named now, so that nothing of the test outlives it. (Tests
                # unittest skipped never ran their cleanups: nothing to fail.)
                named = self._named_leaks
                for outcome in outcomes:  # a failure is named, a leak if listed
                    if not isinstance(outcome, PendingLeak):
                        named = True
                        break
                self.record((TEST, test.id() if named else "", outcomes))
        super().stopTest(test)

    def _close_test(self, test: unittest.TestCase) -> None:
        """The --strict cleanup: a leak fails the test."""
        self._open = False
        outcomes = self.engine.close()
        if outcomes:
            self._charge(TEST, test.id(), outcomes, test.failureException)

    def _charge(
        self, scope: str, name: str, outcomes: list[Outcome], failure: type[Exception]
    ) -> None:
        """Record what a scope left; under --strict, fail it for a leak.

        A failed reset is reported, never turned into this scope's failure.
        """
        self.record((scope, name, outcomes))
        message = self.session.failure(scope, name, outcomes)
        if message:
            raise failure(message)


def _exempt_methods(cls: type) -> frozenset[str] | None:
    """The names of a class's test methods marked with ``@no_isolation``, if any."""
    if not _exempt_names:
        return None
    found = frozenset(
        name
        for name in _exempt_names
        if getattr(getattr(cls, name, None), EXEMPT_ATTRIBUTE, False)
    )
    return found or None


def class_name(cls: type) -> str:
    """Return the dotted path a class's leaks and reads are charged to."""
    return f"{cls.__module__}.{cls.__qualname__}"


class IsolationResultMixin(IsolatingResult):
    """Main-process result: isolates serial runs, gathers every leak.

    In a parallel run the main process only replays the workers' events
    (``engine`` is None there); leaks arrive as ``addIsolationLeak`` events.
    """

    ledger: Ledger

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = self.ledger.append  # bound once: called per leaking test
        if self.session.baseline is not None:  # (no cost per test without one)
            self.stopTest = self._stop_test_noted

    def addIsolationLeak(self, test, scope: str, name: str | None, outcomes) -> None:
        self.ledger.append((scope, name or test.id(), outcomes))

    def _stop_test_noted(self, test) -> None:
        """stopTest, telling the baseline the test ran (a parallel run's too)."""
        super().stopTest(test)
        self.session.baseline.ran(test.id())


class WorkerResultMixin(IsolatingResult):
    """Parallel-worker result: isolates its tests, sends leaks to the main process."""

    def record(self, charge: Charge) -> None:
        # The main process knows the test from the event's index.
        scope, name, outcomes = charge
        name = None if scope == TEST else name
        self.events.append((LEAK_EVENT, self.test_index, scope, name, outcomes))
