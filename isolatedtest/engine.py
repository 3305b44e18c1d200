"""The isolation engine: one stack of nested scopes, the rules, and the resources.

A scope is a run, module, class or test under unittest; a session, package,
directory, module, class or test under pytest. Each scope sees what the
scopes around it left; what it changes is undone when it ends (when
isolating), and what it leaves is its leak. A front end opens and closes
scopes as its framework's events come; the engine tells every resource, in
order, and collects what they report.

The rules live here, once, for every resource (the model is Django's
``TestCase``: one rule for atomic blocks, each database only saving,
rolling back and releasing):

- **What is a leak** (``change``): an entry whose value when its scope ends
  differs from its value when the scope opened, absence included: added,
  changed or deleted. A resource only reads both values (``Changes``).
- **Who receives a write** (``Engine.receiver``): the current scope, or the
  wider scope whose fixture is setting up inside it.
- **What an exempt scope leaves**: its parent keeps it, uncharged
  (``Resource.hand_over``), and undoes it when it ends.
- **What a wider scope's fixture does to the scopes open inside it**
  (``Resource.end_fixture``): they see it at once, and it is not theirs.

A resource never sees another's state, and never lets an exception escape
into a test: a resource that fails becomes a ``ResetFailure`` to report.
Scopes keep each resource's per-scope state (``Scope.state``, one slot per
resource), so the nesting lives here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from isolatedtest.outcomes import Leak, Outcome, PendingLeak, ResetFailure

TEST = "test"
ADDED, CHANGED, DELETED = "added", "changed", "deleted"


class _Marker:
    """A value that is no value; the same object after pickling (workers' leaks)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name


ABSENT = _Marker("ABSENT")  # no entry: before a scope wrote it, after it deleted it
PRESENT = _Marker("PRESENT")  # an entry whose value is not known, only that it is


# Values that stand for a verdict already given (``Entries.decided``).
_AS = {ADDED: (ABSENT, PRESENT), DELETED: (PRESENT, ABSENT), CHANGED: (0, 1)}


def change(before: object, after: object) -> str | None:
    """The one leak rule: how an entry differs from when its scope opened.

    Values are what a resource reads (pickled bytes, a Redis DUMP, an
    object); an entry put back as it was is no leak.
    """
    if before is ABSENT:
        return None if after is ABSENT else ADDED
    if after is ABSENT:
        return DELETED
    if before is after or after is PRESENT:
        return None if before is after else CHANGED
    try:
        return None if before == after else CHANGED
    except Exception:  # an object that cannot be compared has changed
        return CHANGED


class Changes(PendingLeak):
    """The entries a scope changed in one place: each one's value before and now.

    A resource reads them (``entries``, cheaply, at the scope's end); the
    rule (``change``) decides, when the leak is reported or counted, which
    are leaks. ``place`` identifies where they live, for the entries an
    exempt scope handed over (``skip``). ``origin``: (alias, BACKEND,
    LOCATION, kind) for the report.
    """

    __slots__ = ("origin", "place", "skip")
    # What a Leak calls its entries: "keys", a cache object's "attributes",
    # or "" (unnamed: a memoized function's entries).
    names_as = "keys"

    def __init__(self, origin: tuple[str, str, str, str], place: object) -> None:
        self.origin = origin
        self.place = place
        self.skip: frozenset = frozenset()

    def entries(self) -> Iterable[tuple[object, object, object]]:
        """Yield (raw key, value when the scope opened, value now)."""
        raise NotImplementedError  # or ``verdicts`` overridden

    def label(self, raw) -> str | None:
        """Return how reports name an entry; None to leave it out (persistent)."""
        return str(raw)

    def verdicts(self) -> list[tuple[object, str]]:
        """Return (raw key, change) of each entry the rule calls a leak."""
        skip = self.skip
        return [
            (raw, found)
            for raw, before, after in self.entries()
            if raw not in skip and (found := change(before, after)) is not None
        ]

    def resolve(self) -> Leak | None:
        names, changes = [], []
        for raw, found in self.verdicts():
            name = self.label(raw)
            if name is not None:
                names.append(name)
                changes.append(found)
        return self.leak(names, changes) if names else None

    def leak(self, names: list[str], changes: list[str]) -> Leak:
        alias, backend, location, kind = self.origin
        names, changes = tuple(names), tuple(changes)
        keys = names if self.names_as == "keys" else ()
        attributes = names if self.names_as == "attributes" else ()
        return Leak(alias, backend, location, keys, attributes, kind, changes)


class Entries(Changes):
    """Changes whose entries were read when the scope ended: {raw: (before, now)}."""

    __slots__ = ("found",)

    def __init__(self, origin: tuple[str, str, str, str], place, found: dict) -> None:
        super().__init__(origin, place)
        self.found = found

    @classmethod
    def decided(cls, origin, place, found: dict) -> Entries:
        """Judge now, keeping no value: values that must not outlive the scope."""
        verdicts = {raw: change(*values) for raw, values in found.items()}
        return cls(origin, place, {raw: _AS[v] for raw, v in verdicts.items() if v})

    def entries(self):
        for raw, (before, after) in self.found.items():
            yield raw, before, after


class Scope:
    """One open scope: what it is, where it is, and each resource's state for it."""

    __slots__ = ("exempt", "kind", "name", "parent", "state", "uncharged")

    def __init__(
        self, kind: str, parent: Scope | None, slots: int, exempt: bool = False
    ) -> None:
        self.kind = kind
        self.name = ""  # the test id or dotted path, once known
        self.parent = parent
        self.exempt = exempt  # what it leaves, its parent keeps uncharged
        self.state: list = [None] * slots
        self.uncharged: dict[object, set] | None = None  # {place: raw keys}

    def __repr__(self) -> str:
        return f"Scope({self.kind!r}, {self.name!r})"


class Resource:
    """A place where state a test can leave lives, following the engine's scopes.

    A resource does I/O only: it captures and restores, or routes keys into
    a scope's namespace; the engine decides what that means. Each method
    has a no-op default, and the engine calls only the ones a resource
    overrides. ``slot`` is the index of this resource's state in every
    ``Scope.state``; a resource that sets ``leaves_with_state`` is told of
    a scope's end only if it keeps state in that scope. ``engine`` is the
    engine driving it (its ``current`` scope, its ``receiver``); a resource
    that changes ``enters`` or ``leaves_with_state`` calls its ``refresh``.
    """

    slot = 0
    engine: Engine | None = None
    leaves_with_state = False
    enters = True  # False while it has nothing to do when a scope opens

    def failed(self, error: Exception) -> None:
        """Report ``error`` as this resource's failed reset; never raise it.

        For what fails outside the engine's calls: adopting a cache instance,
        a signal's receiver.
        """
        outcome = _failure(self, error)
        if self.engine is not None:
            self.engine.pending.append(outcome)
        else:  # while the engine is being built
            self.__dict__.setdefault("_early", []).append(outcome)

    def start_worker(self) -> None:
        """Forget what a forked worker inherited from its parent process."""

    def enter(self, scope: Scope) -> None:
        """A scope opens inside ``scope.parent`` (the current one)."""

    def leave(self, scope: Scope, restore: bool) -> list[Outcome] | None:
        """``scope`` closes: return its ``Changes``; with ``restore``, undo them."""

    def hand_over(self, scope: Scope) -> None:
        """``scope`` (exempt) closed unrestored: its parent keeps what it did."""

    def begin_fixture(self, scope: Scope) -> None:
        """What follows is ``scope``'s (a wider scope's fixture sets up)."""

    def end_fixture(self, scope: Scope, inner: list[Scope]) -> list[Outcome] | None:
        """The fixture is set up: ``inner`` (open inside ``scope``) see what it did.

        What it did is ``scope``'s, not theirs: their values from before are
        rebased on it.
        """

    def end_run(self) -> list[Outcome] | None:
        """The run ends: remove what it still holds in shared places."""


class Engine:
    """The stack of open scopes of one process, and the resources it drives.

    ``reset``: whether a scope's changes are undone when it ends (not with
    --no-isolation).
    """

    def __init__(self, resources: Sequence[Resource], reset: bool = True) -> None:
        self.resources = tuple(resources)
        self.reset = reset
        for slot, resource in enumerate(self.resources):
            resource.slot = slot
            resource.engine = self
        self.run = Scope("run", None, len(self.resources))
        self.current = self.run
        self.fixture: Scope | None = None  # the wider scope setting a fixture up
        # What resources reported outside a scope's end (failures, a wider
        # fixture's outcomes): the next scope to end reports it.
        self.pending: list[Outcome] = []
        for resource in self.resources:
            self.pending += resource.__dict__.pop("_early", [])
        # Bound once, for the resources that do something: these run for
        # every test. A scope where no resource keeps state (most tests)
        # ends with the leaves of the resources that keep none.
        self.refresh()

    def refresh(self) -> None:
        """Bind the enters and leaves of the resources, as they are now."""
        self._enters = tuple(
            resource.enter
            for resource in self.resources
            if resource.enters and _does("enter", resource)
        )
        leaving = [r for r in self.resources if _does("leave", r)]
        self._leaves = tuple(r.leave for r in leaving if not r.leaves_with_state)
        self._every_leave = tuple(
            (r.slot, r.leave, r.leaves_with_state) for r in leaving
        )

    def receiver(self) -> Scope:
        """Return the scope a write made now belongs to."""
        return self.fixture or self.current

    def start_run(self) -> None:
        """Open the run's scope: every resource enters it."""
        for enter in self._enters:
            try:
                enter(self.run)
            except Exception as error:
                self._failed(enter, error, self.pending)

    def open(self, kind: str, name: str = "", exempt: bool = False) -> Scope:
        """Open a scope inside the current one; return it."""
        scope = Scope(kind, self.current, len(self.resources), exempt)
        scope.name = name
        for enter in self._enters:
            try:
                enter(scope)
            except Exception as error:  # a resource bug must not break the run
                self._failed(enter, error, self.pending)
        self.current = scope
        return scope

    def close(self, report: bool = True) -> list[Outcome]:
        """Close the current scope: return its leaks (and failed resets).

        An exempt scope is not undone: its parent keeps what it changed,
        uncharged, and undoes it when it ends.
        """
        scope = self.current
        self.current = scope.parent
        outcomes: list[Outcome] = []
        if self.pending:
            outcomes, self.pending = self.pending, []
        state = scope.state
        restore = self.reset and not scope.exempt
        leaves = self._leaves
        if state.count(None) < len(state):  # some resource keeps state in it
            leaves = [
                leave
                for slot, leave, held in self._every_leave
                if not held or state[slot] is not None
            ]
        for leave in leaves:
            try:
                found = leave(scope, restore)
            except Exception as error:
                self._failed(leave, error, outcomes)
                continue
            if found:
                outcomes += found
        if scope.exempt:
            return self._hand_over(scope, outcomes)
        if not outcomes:
            return outcomes
        if not report:
            return [o for o in outcomes if not isinstance(o, Changes)]
        if scope.uncharged:
            for outcome in outcomes:
                if isinstance(outcome, Changes) and outcome.place in scope.uncharged:
                    outcome.skip = frozenset(scope.uncharged[outcome.place])
        return outcomes

    def _hand_over(self, scope: Scope, outcomes: list[Outcome]) -> list[Outcome]:
        """Let ``scope``'s parent keep what it changed, uncharged."""
        parent = scope.parent
        kept = []
        for outcome in outcomes:
            if not isinstance(outcome, Changes):
                kept.append(outcome)
                continue
            if parent.uncharged is None:
                parent.uncharged = {}
            places = parent.uncharged.setdefault(outcome.place, set())
            places.update(raw for raw, _ in outcome.verdicts())
        if self.reset:
            self._each(lambda resource: resource.hand_over(scope), kept)
        return kept

    def begin_fixture(self, scope: Scope) -> None:
        """What follows is ``scope``'s: a wider scope's fixture sets up."""
        self.fixture = scope
        self._each(lambda resource: resource.begin_fixture(scope), self.pending)

    def end_fixture(self, scope: Scope) -> None:
        """The fixture is set up: the scopes open inside ``scope`` see it.

        What resources report then, the current scope's end reports.
        """
        self.fixture = None
        inner = []
        open_scope = self.current
        while open_scope is not None and open_scope is not scope:
            inner.append(open_scope)
            open_scope = open_scope.parent
        self._each(lambda resource: resource.end_fixture(scope, inner), self.pending)

    def start_worker(self) -> None:
        self._each(lambda resource: resource.start_worker(), self.pending)

    def end_run(self) -> list[Outcome]:
        """Close every scope still open, unreported; then end the run."""
        outcomes: list[Outcome] = []
        while self.current is not self.run:
            outcomes += self.close(report=False)
        outcomes += self.pending
        self.pending = []
        return outcomes + self._each(lambda resource: resource.end_run())

    def _each(self, call, outcomes: list[Outcome] | None = None) -> list[Outcome]:
        outcomes = [] if outcomes is None else outcomes
        for resource in self.resources:
            try:
                outcomes += call(resource) or []
            except Exception as error:
                self._failed(resource, error, outcomes)
        return outcomes

    @staticmethod
    def _failed(where, error: Exception, outcomes: list[Outcome]) -> None:
        outcomes.append(_failure(getattr(where, "__self__", where), error))


def _failure(resource, error: Exception) -> ResetFailure:
    """Name a resource that failed (by its class, and its name if it has one)."""
    name = getattr(resource, "name", "")  # a resource outside the cache framework
    return ResetFailure("", type(resource).__name__, name, repr(error))


def _does(method: str, resource: Resource) -> bool:
    """Whether ``resource`` overrides ``method`` (else it has nothing to do)."""
    return getattr(type(resource), method) is not getattr(Resource, method)
