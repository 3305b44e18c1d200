"""The isolation engine: nested scopes of cache state (run, class, test).

unittest's scopes are run, class and test; pytest's nest deeper (session,
package, module, class), and a fixture of an outer scope may first set up
while inner ones are open: ``begin_fixture``/``end_fixture`` charge its
writes to its own scope and show them to the scopes inside.

A scope's end reports what was written in it and is still there (its
leak); when isolating, it also undoes those writes, so the next scope sees
what the enclosing one saw. Each store implements the scopes its own way.

The engine knows nothing of unittest; ``isolatedtest.result`` drives it from
a TestResult, and another test framework could drive it the same way. It
never lets a store's exception escape: a reset that fails becomes a
``ResetFailure`` to report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from isolatedtest.stores import Outcome, ResetFailure, Store


class Isolation:
    """Fan scope boundaries out to every store."""

    def __init__(self, stores: Sequence[Store]) -> None:
        self.stores = tuple(stores)
        # Bound once: these run for every test.
        self._test_starts = tuple(store.start_test for store in self.stores)
        self._test_ends = tuple(store.end_test for store in self.stores)

    def start_worker(self) -> None:
        """Forget what a forked worker inherited from its parent."""
        self._each(lambda store: store.start_worker())

    def start_run(self) -> None:
        self._each(lambda store: store.start_run())

    def start_class(self) -> None:
        """Begin a class, after its setup: each of its tests sees this state."""
        self._each(lambda store: store.start_class())

    def start_test(self) -> None:
        for start in self._test_starts:
            start()

    def end_test(self) -> list[Outcome]:
        """End a test: return its leaks, and undo its writes when isolating."""
        outcomes = []
        for end in self._test_ends:
            found = end()
            if found:
                outcomes += found
        return outcomes

    def start_exempt_test(self) -> None:
        """Begin a test whose writes its class keeps, uncharged (exempt)."""
        self._each(lambda store: store.start_exempt_test())

    def end_exempt_test(self) -> None:
        self._each(lambda store: store.end_exempt_test())

    def end_class(self, report: bool = True) -> list[Outcome]:
        """End a class: return its leaks, and undo its writes when isolating."""
        return self._each(lambda store: store.end_class(report))

    def abort_class(self) -> None:
        """Undo what a class setup that failed had written."""
        self._each(lambda store: store.abort_class())

    def end_run(self) -> list[Outcome]:
        """Remove what the run still holds on shared servers."""
        return self._each(lambda store: store.end_run())

    def open_scope(self) -> None:
        self._each(lambda store: store.open_scope())

    def close_scope(self, report: bool = True) -> list[Outcome]:
        return self._each(lambda store: store.close_scope(report))

    def begin_fixture(self, depth: int) -> None:
        self._each(lambda store: store.begin_fixture(depth))

    def end_fixture(self, depth: int) -> list[Outcome]:
        return self._each(lambda store: store.end_fixture(depth))

    def _each(self, call: Callable[[Store], list[Outcome] | None]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for store in self.stores:
            try:
                outcomes += call(store) or []
            except Exception as error:  # a store bug must not break the run
                name = type(store).__name__
                outcomes.append(ResetFailure("", name, "", repr(error)))
        return outcomes
