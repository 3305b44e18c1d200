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
from collections.abc import Callable

from isolatedtest.isolation import Isolation
from isolatedtest.ledger import Charge, Ledger
from isolatedtest.session import Session
from isolatedtest.stores import Outcome
from isolatedtest.stores.access import AccessStore

# Keep this module's frames out of the tracebacks of --strict failures.
__unittest = True

EXEMPT_ATTRIBUTE = "_isolatedtest_exempt"
TEST, EXEMPT = "test", "exempt"
LEAK_EVENT = "addIsolationLeak"


_exempt_methods = False  # set once any method is exempt: skips a lookup per test


def no_isolation(test_item):
    """Leave a test class or method out of isolation.

    An exempt method's writes stay for the later tests of its class; an
    exempt class's tests share their writes. Both are still undone when the
    class ends, so other classes never see them.
    """
    global _exempt_methods
    setattr(test_item, EXEMPT_ATTRIBUTE, True)
    if not isinstance(test_item, type):
        _exempt_methods = True
    return test_item


class Hook:
    """Drive an Isolation engine from one TestResult's callbacks."""

    def __init__(
        self, engine: Isolation, session: Session, record: Callable[[Charge], None]
    ) -> None:
        self.engine = engine
        self.session = session
        self.strict = session.options.strict
        self.record = record
        self._class: type | None = None
        self._class_passive = False
        self._open: str | None = None  # TEST or EXEMPT: the open test scope
        self._close_test = self._close_test  # bound once: registered per test

    def start_test(self, test: unittest.TestCase) -> None:
        cls = type(test)
        if cls is not self._class:
            self._start_class(cls)
        if self._class_passive:
            return
        if _exempt_methods and getattr(
            getattr(cls, getattr(test, "_testMethodName", ""), None),
            EXEMPT_ATTRIBUTE,
            False,
        ):
            self._open = EXEMPT
            self.engine.start_exempt_test()
        else:
            self._open = TEST
            self.engine.start_test()
            if self.strict:
                test.addCleanup(self._close_test, test)

    def stop_test(self, test: unittest.TestCase) -> None:
        """Close the test's scope, unless its --strict cleanup already did."""
        scope = self._open
        if scope is None:
            return
        self._open = None
        if scope is EXEMPT:
            self.engine.end_exempt_test()
            return
        outcomes = self.engine.end_test()
        if outcomes:
            # Tests unittest skipped never ran their cleanups: nothing to fail.
            self._charge("test", test.id(), outcomes, test.failureException, False)

    def class_setup_failed(self) -> None:
        """Undo what a failed setUpClass wrote: no test of it will run."""
        self.engine.abort_class()
        self._class = None

    def _start_class(self, cls: type) -> None:
        self._class = cls
        # A skipped class runs neither its setup nor its class cleanups.
        self._class_passive = getattr(cls, "__unittest_skip__", False)
        if self._class_passive:
            return
        self.engine.start_class()
        exempt = getattr(cls, EXEMPT_ATTRIBUTE, False)
        self._class_passive = exempt
        cls.addClassCleanup(self._end_class, cls, exempt)

    def _close_test(self, test: unittest.TestCase) -> None:
        """The --strict cleanup: a leak fails the test."""
        self._open = None
        outcomes = self.engine.end_test()
        if outcomes:
            self._charge("test", test.id(), outcomes, test.failureException, True)

    def _end_class(self, cls: type, exempt: bool) -> None:
        if self._class is cls:
            self._class = None
        outcomes = self.engine.end_class(report=not exempt)
        if outcomes:
            self._charge(
                "class", class_name(cls), outcomes, AssertionError, can_fail=True
            )

    def _charge(
        self,
        scope: str,
        name: str,
        outcomes: list[Outcome],
        failure: type[Exception],
        can_fail: bool,
    ) -> None:
        # Named now, so that nothing of the test outlives it; the leaks'
        # details are worked out when the report is written, off the hot path.
        self.record((scope, name, outcomes))
        if can_fail:
            # A failed reset is reported, never turned into this test's failure.
            message = self.session.failure(scope, outcomes)
            if message:
                raise failure(message)


class DependencyHook(Hook):
    """A Hook that also hands each test's outside accesses to the report."""

    def __init__(self, engine, session, record, accesses: AccessStore) -> None:
        super().__init__(engine, session, record)
        self.accesses = accesses

    def start_test(self, test: unittest.TestCase) -> None:
        super().start_test(test)
        if self._open is not None:
            self.accesses.start_test()

    def stop_test(self, test: unittest.TestCase) -> None:
        if self._open is not None:
            self._charge_reads(test)
        super().stop_test(test)

    def _close_test(self, test: unittest.TestCase) -> None:
        self._charge_reads(test)
        super()._close_test(test)

    def _charge_reads(self, test: unittest.TestCase) -> None:
        name = test.id()
        reads = self.accesses.end_test(name)
        if reads:
            self.record(("test", name, reads))

    def _end_class(self, cls: type, exempt: bool) -> None:
        name = class_name(cls)
        reads = self.accesses.end_class(name)
        if reads:
            self.record(("class", name, reads))
        super()._end_class(cls, exempt)


def make_hook(
    engine: Isolation,
    session: Session,
    record: Callable[[Charge], None],
    accesses: AccessStore | None,
) -> Hook:
    """Return the hook for a run: recording accesses only when asked to."""
    if accesses is None:
        return Hook(engine, session, record)
    return DependencyHook(engine, session, record, accesses)


def class_name(cls: type) -> str:
    """Return the dotted path a class's leaks and reads are charged to."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_class_setup_error(test: object) -> bool:
    """Whether unittest reports a setUpClass or setUpModule that did not finish."""
    return isinstance(
        test, unittest.suite._ErrorHolder
    ) and test.description.startswith(("setUpClass", "setUpModule"))


class IsolationResultMixin:
    """Main-process result: runs the hook in serial runs, gathers every leak.

    In a parallel run the main process only replays the workers' events, so
    ``hook`` is None there; leaks arrive as ``addIsolationLeak`` events.
    """

    hook: Hook | None = None
    ledger: Ledger

    def startTest(self, test):
        super().startTest(test)
        if self.hook is not None:
            self.hook.start_test(test)

    def stopTest(self, test):
        if self.hook is not None:
            self.hook.stop_test(test)
        super().stopTest(test)

    def addError(self, test, err):
        if self.hook is not None and _is_class_setup_error(test):
            self.hook.class_setup_failed()
        super().addError(test, err)

    def addSkip(self, test, reason):
        if self.hook is not None and _is_class_setup_error(test):
            self.hook.class_setup_failed()
        super().addSkip(test, reason)

    def addIsolationLeak(self, test, scope: str, name: str | None, outcomes) -> None:
        self.ledger.append((scope, name or test.id(), outcomes))


class WorkerResultMixin:
    """Parallel-worker result: runs the hook, sends leaks to the main process."""

    engine: Isolation
    session: Session
    accesses: AccessStore | None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hook = make_hook(self.engine, self.session, self._send_leak, self.accesses)

    def _send_leak(self, charge: Charge) -> None:
        # The main process knows the test from the event's index.
        scope, name, outcomes = charge
        name = name if scope == "class" else None
        self.events.append((LEAK_EVENT, self.test_index, scope, name, outcomes))

    def startTest(self, test):
        super().startTest(test)
        self.hook.start_test(test)

    def stopTest(self, test):
        self.hook.stop_test(test)
        super().stopTest(test)

    def addError(self, test, err):
        if _is_class_setup_error(test):
            self.hook.class_setup_failed()
        super().addError(test, err)

    def addSkip(self, test, reason):
        if _is_class_setup_error(test):
            self.hook.class_setup_failed()
        super().addSkip(test, reason)
