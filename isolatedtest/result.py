"""The unittest layer: open and close isolation scopes from TestResult.startTest.

Hooking the result rather than a base class covers every test whatever its
class. At ``startTest`` the hook registers ``test.addCleanup`` (which runs
after tearDown and after the test's own cleanups) and, for the first test
of each class run, ``cls.addClassCleanup`` (which runs after tearDownClass).
"""

from __future__ import annotations

import unittest
from collections.abc import Callable

from isolatedtest.isolation import Isolation
from isolatedtest.report import Record, failure_message
from isolatedtest.stores import Leak, Outcome

# Keep this module's frames out of the tracebacks of --strict failures.
__unittest = True

EXEMPT_ATTRIBUTE = "_isolatedtest_exempt"
LEAK_EVENT = "addIsolationLeak"


def no_isolation(test_item):
    """Leave a test class or method out of isolation.

    An exempt method's writes stay for the later tests of its class; an
    exempt class's tests share their writes. Both are still undone when the
    class ends, so other classes never see them.
    """
    setattr(test_item, EXEMPT_ATTRIBUTE, True)
    return test_item


class Hook:
    """Drive an Isolation engine from one TestResult's callbacks."""

    def __init__(
        self, engine: Isolation, strict: bool, record: Callable[[Record], None]
    ) -> None:
        self.engine = engine
        self.strict = strict
        self.record = record
        self._class: type | None = None
        self._class_passive = False

    def start_test(self, test: unittest.TestCase) -> None:
        cls = type(test)
        if cls is not self._class:
            self._start_class(cls)
        if self._class_passive:
            return
        method = getattr(cls, getattr(test, "_testMethodName", ""), None)
        if getattr(method, EXEMPT_ATTRIBUTE, False):
            self.engine.start_exempt_test()
            test.addCleanup(self.engine.end_exempt_test)
            return
        self.engine.start_test()
        test.addCleanup(self._end_test, test)

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

    def _end_test(self, test: unittest.TestCase) -> None:
        outcomes = self.engine.end_test()
        if outcomes:
            self._charge("test", test.id(), outcomes, test.failureException)

    def _end_class(self, cls: type, exempt: bool) -> None:
        if self._class is cls:
            self._class = None
        outcomes = self.engine.end_class(report=not exempt)
        if outcomes:
            name = f"{cls.__module__}.{cls.__qualname__}"
            self._charge("class", name, outcomes, AssertionError)

    def _charge(
        self, scope: str, name: str, outcomes: list[Outcome], failure: type[Exception]
    ) -> None:
        for outcome in outcomes:
            self.record(Record(scope, name, outcome))
        leaks = [outcome for outcome in outcomes if isinstance(outcome, Leak)]
        # A failed reset is reported, never turned into this test's failure.
        if self.strict and leaks:
            raise failure(failure_message(scope, leaks))


def _is_class_setup_error(test: object) -> bool:
    return isinstance(
        test, unittest.suite._ErrorHolder
    ) and test.description.startswith("setUpClass")


class IsolationResultMixin:
    """Main-process result: runs the hook in serial runs, gathers every leak.

    In a parallel run the main process only replays the workers' events, so
    ``hook`` is None there; leaks arrive as ``addIsolationLeak`` events.
    """

    hook: Hook | None = None
    records: list[Record]

    def startTest(self, test):
        super().startTest(test)
        if self.hook is not None:
            self.hook.start_test(test)

    def addError(self, test, err):
        if self.hook is not None and _is_class_setup_error(test):
            self.hook.class_setup_failed()
        super().addError(test, err)

    def addSkip(self, test, reason):
        if self.hook is not None and _is_class_setup_error(test):
            self.hook.class_setup_failed()
        super().addSkip(test, reason)

    def addIsolationLeak(self, test, record: Record) -> None:
        self.records.append(record)


class WorkerResultMixin:
    """Parallel-worker result: runs the hook, sends leaks to the main process."""

    engine: Isolation
    strict: bool

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hook = Hook(self.engine, self.strict, self._send_leak)

    def _send_leak(self, record: Record) -> None:
        self.events.append((LEAK_EVENT, self.test_index, record))

    def startTest(self, test):
        super().startTest(test)
        self.hook.start_test(test)

    def addError(self, test, err):
        if _is_class_setup_error(test):
            self.hook.class_setup_failed()
        super().addError(test, err)

    def addSkip(self, test, reason):
        if _is_class_setup_error(test):
            self.hook.class_setup_failed()
        super().addSkip(test, reason)
