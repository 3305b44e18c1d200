"""The unittest layer: open and close isolation scopes from the TestResult.

Hooking the result rather than a base class covers every test whatever its
class. ``startTest`` opens the test's scope and, for the first test of each
class run, registers ``cls.addClassCleanup`` (which runs after
tearDownClass). The test's scope closes in ``stopTest``, which unittest calls
after tearDown and after every cleanup; with ``--strict`` it closes in a
``test.addCleanup`` registered at ``startTest`` instead, the last cleanup to
run, so that a leak can fail the test. (A cleanup costs unittest about 2 µs
per test, which is why it is kept for --strict.)
"""

from __future__ import annotations

import unittest

from isolatedtest.engine import TEST, Engine
from isolatedtest.internals import is_class_setup_error
from isolatedtest.ledger import Charge, Ledger
from isolatedtest.outcomes import Outcome
from isolatedtest.session import Session

# Keep this module's frames out of the tracebacks of --strict failures.
__unittest = True

EXEMPT_ATTRIBUTE = "_isolatedtest_exempt"
CLASS = "class"
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


def start(engine: Engine) -> None:
    """Start a run: its scope, and the first class's (open before its setup)."""
    engine.start_run()
    engine.open(CLASS)


class IsolatingResult:
    """A TestResult whose callbacks open and close the engine's scopes.

    The engine's current scope is, between classes, the next class's: it
    opened when the previous class ended, so that the class's setup
    (setUpClass, setUpTestData, setUpModule) writes in it. Without an
    engine (a parallel run's main process) it only passes events on.
    """

    engine: Engine | None = None
    session: Session

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._class: type | None = None
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

    def startTest(self, test):
        super().startTest(test)
        if self.engine is None:
            return
        cls = type(test)
        if cls is not self._class:
            self._start_class(cls)
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
                self.record((TEST, test.id() if self._named_leaks else "", outcomes))
        super().stopTest(test)

    def addError(self, test, err):
        if self.engine is not None and is_class_setup_error(test):
            self._class_setup_failed()
        super().addError(test, err)

    def addSkip(self, test, reason):
        if self.engine is not None and is_class_setup_error(test):
            self._class_setup_failed()
        super().addSkip(test, reason)

    def _class_setup_failed(self) -> None:
        """Undo what a failed setUpClass wrote: no test of it will run."""
        self.engine.close(report=False)
        self.engine.open(CLASS)
        self._class = None

    def _start_class(self, cls: type) -> None:
        self._class = cls
        # A skipped class runs neither its setup nor its class cleanups.
        self._class_passive = getattr(cls, "__unittest_skip__", False)
        if self._class_passive:
            return
        self.engine.current.name = class_name(cls)
        exempt = getattr(cls, EXEMPT_ATTRIBUTE, False)
        self._class_passive = exempt
        self._exempt = None if exempt else _exempt_methods(cls)
        cls.addClassCleanup(self._end_class, cls, exempt)

    def _close_test(self, test: unittest.TestCase) -> None:
        """The --strict cleanup: a leak fails the test."""
        self._open = False
        outcomes = self.engine.close()
        if outcomes:
            self._charge(TEST, test.id(), outcomes, test.failureException)

    def _end_class(self, cls: type, exempt: bool) -> None:
        if self._class is cls:
            self._class = None
        outcomes = self.engine.close(report=not exempt)
        self.engine.open(CLASS)
        if outcomes:
            self._charge(CLASS, class_name(cls), outcomes, AssertionError)

    def _charge(
        self, scope: str, name: str, outcomes: list[Outcome], failure: type[Exception]
    ) -> None:
        """Record what a scope left; under --strict, fail it for a leak.

        A failed reset is reported, never turned into this scope's failure.
        """
        self.record((scope, name, outcomes))
        message = self.session.failure(scope, outcomes)
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

    def addIsolationLeak(self, test, scope: str, name: str | None, outcomes) -> None:
        self.ledger.append((scope, name or test.id(), outcomes))


class WorkerResultMixin(IsolatingResult):
    """Parallel-worker result: isolates its tests, sends leaks to the main process."""

    def record(self, charge: Charge) -> None:
        # The main process knows the test from the event's index.
        scope, name, outcomes = charge
        name = name if scope == CLASS else None
        self.events.append((LEAK_EVENT, self.test_index, scope, name, outcomes))
