"""The isolation engine: nested scopes of cache state (run, class, test).

A scope starts with a snapshot of every store and ends by comparing the
stores with it: what was written and is still there is the scope's leak.
When isolating, the end also puts the snapshot back; when only reporting,
the state is left as it is and the next scope starts from it.

The engine knows nothing of unittest; ``isolatedtest.result`` drives it from
a TestResult, and another test framework could drive it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from isolatedtest.stores import Leak, Store


class Isolation:
    """Snapshot, compare and restore all stores at scope boundaries."""

    def __init__(self, stores: Sequence[Store], reset: bool = True) -> None:
        self.stores = tuple(stores)
        self.reset = reset
        self._outer: tuple = ()
        self._class: tuple = ()
        self._test: tuple = ()

    def _snapshot(self) -> tuple:
        return tuple(store.snapshot() for store in self.stores)

    def start_worker(self) -> None:
        """Forget what a forked worker inherited from its parent."""
        for store in self.stores:
            store.start_worker()

    def start_run(self) -> None:
        """Take the state every class starts from."""
        self._outer = self._snapshot()

    def start_class(self) -> None:
        """Take the state the class's setup left: what each of its tests sees."""
        self._class = self._snapshot()

    def start_test(self) -> None:
        # When isolating, every test starts from the class state, which the
        # previous test's end restored: nothing to copy on the hot path.
        if not self.reset:
            self._test = self._snapshot()

    def end_test(self) -> list[Leak]:
        """End a test: return its leaks, and undo its writes when isolating."""
        if self.reset:
            return self._rollback(self._class)
        return self._leaks(self._test)

    def keep_test(self) -> None:
        """End a test whose writes its class keeps (an exempt test)."""
        if self.reset:
            self._class = self._snapshot()

    def end_class(self, report: bool = True) -> list[Leak]:
        """End a class: return its leaks, and undo its writes when isolating."""
        if self.reset:
            leaks = self._rollback(self._outer, report)
        else:
            leaks = self._leaks(self._outer) if report else []
            self._outer = self._snapshot()
        return leaks

    def abort_class(self) -> None:
        """Undo what a class setup that failed had written."""
        if self.reset:
            self._rollback(self._outer, report=False)

    def _rollback(self, snapshots: tuple, report: bool = True) -> list[Leak]:
        leaks = []
        for store, snapshot in zip(self.stores, snapshots, strict=True):
            leaks += store.rollback(snapshot, report)
        return leaks

    def _leaks(self, snapshots: tuple) -> list[Leak]:
        leaks = []
        for store, snapshot in zip(self.stores, snapshots, strict=True):
            leaks += store.leaks(snapshot)
        return leaks
