"""The isolation engine: one stack of nested scopes, and the resources that follow it.

A scope is a run, a class or a test under unittest; a session, package,
directory, module, class or test under pytest. Each scope sees what the
scopes around it left; what it changes is undone when it ends (when
isolating), and what it leaves is its leak. A front end opens and closes
scopes as its framework's events come; the engine tells every resource, in
order, and collects what they report. A resource never sees another's
state, and never lets an exception escape into a test: a resource that
fails becomes a ``ResetFailure`` to report.

Scopes keep each resource's per-scope state (``Scope.state``, one slot per
resource), so the nesting lives here, once.
"""

from __future__ import annotations

from collections.abc import Sequence

from isolatedtest.outcomes import Outcome, ResetFailure

TEST = "test"


class Scope:
    """One open scope: what it is, where it is, and each resource's state for it."""

    __slots__ = ("exempt", "kind", "name", "parent", "state")

    def __init__(
        self, kind: str, parent: Scope | None, slots: int, exempt: bool = False
    ) -> None:
        self.kind = kind
        self.name = ""  # the test id or dotted path, once known
        self.parent = parent
        self.exempt = exempt  # its writes stay in its parent, uncharged
        self.state: list = [None] * slots

    def __repr__(self) -> str:
        return f"Scope({self.kind!r}, {self.name!r})"

    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth() + 1


class Resource:
    """A place where state a test can leave lives, following the engine's scopes.

    Each method has a no-op default, and the engine calls only the ones a
    resource overrides. ``slot`` is the index of this resource's state in
    every ``Scope.state``; a resource that sets ``leaves_with_state`` is
    told of a scope's end only if it keeps state in that scope. ``engine``
    is the engine driving it (its ``current`` scope).
    """

    slot = 0
    engine: Engine | None = None
    leaves_with_state = False
    enters = True  # False while it has nothing to do when a scope opens

    def start_worker(self) -> None:
        """Forget what a forked worker inherited from its parent process."""

    def enter(self, scope: Scope) -> None:
        """A scope opens inside ``scope.parent`` (the current one)."""

    def leave(self, scope: Scope, report: bool) -> list[Outcome] | None:
        """``scope`` closes: return its leaks; undo its changes when isolating."""

    def begin_fixture(self, scope: Scope) -> None:
        """What follows is ``scope``'s (a wider scope's fixture sets up)."""

    def end_fixture(self, scope: Scope) -> None:
        """The fixture is set up: the scopes inside ``scope`` see what it did."""

    def end_run(self) -> list[Outcome] | None:
        """The run ends: remove what it still holds in shared places."""


class Engine:
    """The stack of open scopes of one process, and the resources it drives."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.resources = tuple(resources)
        for slot, resource in enumerate(self.resources):
            resource.slot = slot
            resource.engine = self
        self.run = Scope("run", None, len(self.resources))
        self.current = self.run
        self._failures: list[Outcome] = []  # of resources entering a scope
        # Bound once, for the resources that do something: these run for
        # every test.
        self.refresh()
        self._leaves = tuple(
            (resource.slot, resource.leave, resource.leaves_with_state)
            for resource in self.resources
            if _does("leave", resource)
        )

    def refresh(self) -> None:
        """Bind the enters of the resources that have something to do now."""
        self._enters = tuple(
            resource.enter
            for resource in self.resources
            if resource.enters and _does("enter", resource)
        )

    def start_run(self) -> None:
        """Open the run's scope: every resource enters it."""
        for enter in self._enters:
            try:
                enter(self.run)
            except Exception as error:
                self._failed(enter, error, self._failures)

    def open(self, kind: str, name: str = "", exempt: bool = False) -> Scope:
        """Open a scope inside the current one; return it."""
        scope = Scope(kind, self.current, len(self.resources), exempt)
        scope.name = name
        for enter in self._enters:
            try:
                enter(scope)
            except Exception as error:  # a resource bug must not break the run
                self._failed(enter, error, self._failures)
        self.current = scope
        return scope

    def close(self, report: bool = True) -> list[Outcome]:
        """Close the current scope: return its leaks (and failed resets)."""
        scope = self.current
        self.current = scope.parent
        outcomes: list[Outcome] = []
        if self._failures:
            outcomes, self._failures = self._failures, []
        state = scope.state
        for slot, leave, with_state in self._leaves:
            if with_state and state[slot] is None:
                continue
            try:
                found = leave(scope, report)
            except Exception as error:
                self._failed(leave, error, outcomes)
                continue
            if found:
                outcomes += found
        return outcomes

    def begin_fixture(self, scope: Scope) -> None:
        self._each(lambda resource: resource.begin_fixture(scope))

    def end_fixture(self, scope: Scope) -> list[Outcome]:
        return self._each(lambda resource: resource.end_fixture(scope))

    def start_worker(self) -> None:
        self._each(lambda resource: resource.start_worker())

    def end_run(self) -> list[Outcome]:
        """Close every scope still open, unreported; then end the run."""
        outcomes: list[Outcome] = []
        while self.current is not self.run:
            outcomes += self.close(report=False)
        outcomes += self._failures
        return outcomes + self._each(lambda resource: resource.end_run())

    def _each(self, call) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for resource in self.resources:
            try:
                outcomes += call(resource) or []
            except Exception as error:
                self._failed(resource, error, outcomes)
        return outcomes

    @staticmethod
    def _failed(where, error: Exception, outcomes: list[Outcome]) -> None:
        owner = getattr(where, "__self__", where)
        name = getattr(owner, "name", "")  # a resource outside the cache framework
        outcomes.append(ResetFailure("", type(owner).__name__, name, repr(error)))


def _does(method: str, resource: Resource) -> bool:
    """Whether ``resource`` overrides ``method`` (else it has nothing to do)."""
    return getattr(type(resource), method) is not getattr(Resource, method)
