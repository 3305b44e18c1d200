"""The scopes of one shared store, as generations of a key namespace.

A store is one place data lives: a Redis database, a set of Memcached
servers, a directory, a database table. It is shared with parallel workers,
concurrent runs and whatever else uses the server, so it is never flushed:
every key this process writes goes under a namespace tag after the user's
KEY_PREFIX, ``isolatedtest:<run id>:<process>:<generation>``. A scope gets
a fresh generation, so undoing a test is switching back to its class's
generation, with no I/O; ``clear()`` (``FLUSHDB``) in a scope is a fresh
generation too. What the enclosing scope left is copied into a scope's
generation on its first operation there (materializing it).

``Namespace`` is that model, once, for every such store; its subclasses do
the I/O (``namespaces.py``: through Django's cache interface; the Redis
backend: at the connection). Each frame records the entries its scope
changed, with their values when it first changed them: when it ends, the
engine's rule compares them with their values then (``Changes``).
"""

from __future__ import annotations

from isolatedtest.engine import Entries, Resource, Scope
from isolatedtest.outcomes import Outcome

NAMESPACE_MARK = "isolatedtest"


class Generation:
    """The entries this process knows to be in one generation (``records``)."""

    __slots__ = ("records", "tag")

    def __init__(self, tag) -> None:
        self.tag = tag
        self.records: dict = {}  # {entry: the subclass's record of it}


class Space:
    """What a scope sees: its live generation, and those clear() emptied."""

    __slots__ = ("dead", "live", "materialized")

    def __init__(self, tag, materialized: bool = False) -> None:
        self.live = Generation(tag)
        self.dead: list[Generation] = []
        self.materialized = materialized


class Frame:
    """A scope, as one store sees it.

    ``written``: each entry the scope changed (set, deleted, cleared), with
    its value when the scope first changed it (ABSENT if it had none).
    An exempt scope, and every scope without isolation, shares its
    parent's space.
    """

    __slots__ = ("parent", "space", "written")

    def __init__(self, parent: Frame | None, space: Space) -> None:
        self.parent = parent
        self.space = space
        self.written: dict = {}

    def owns_space(self) -> bool:
        return self.parent is None or self.parent.space is not self.space


class Namespace:
    """One store's frames in this process, and what scopes do to them.

    A subclass reads values (``value``), copies what a frame inherits,
    propagates a wider scope's fixture and deletes generations.
    """

    def __init__(self, base: str, reset: bool) -> None:
        self._base = base
        self._count = 0
        self.reset = reset
        self.run = Frame(None, Space(self.tag(), materialized=True))
        self.current = self.run  # the frame receiving writes
        self._fixture: Frame | None = None  # a wider scope's, setting up
        self._touched: set = set()  # what the fixture changed
        self._cleared = False

    def tag(self) -> str:
        self._count += 1
        # Fixed width: no generation's tag is the start of another's.
        return f"{self._base}:{self._count:08x}"

    def child(self, parent: Frame, exempt: bool) -> Frame:
        """Return the frame of a scope opening inside ``parent``'s."""
        if exempt or not self.reset:
            return Frame(parent, parent.space)
        return Frame(parent, Space(self.tag()))

    def source(self, frame: Frame) -> Frame:
        """Return the nearest enclosing frame whose generation is materialized."""
        parent = frame.parent
        while not parent.space.materialized:
            parent = parent.parent
        return parent

    # What scopes do.

    def changing(self, frame: Frame, entry) -> None:
        """Note that ``frame``'s scope changes ``entry`` (before it does)."""
        if entry not in frame.written:
            frame.written[entry] = self.value(frame.space.live, entry)
        if frame is self._fixture:
            self._touched.add(entry)

    def clear(self, frame: Frame) -> None:
        """Empty what ``frame`` sees: a fresh generation, the old one to delete."""
        space = frame.space
        for entry in space.live.records:
            self.changing(frame, entry)
        space.dead.append(space.live)
        space.live = Generation(self.tag())
        space.materialized = True
        if frame is self._fixture:
            self._cleared = True

    def begin_fixture(self, frame: Frame) -> None:
        """Route writes to ``frame`` (a wider scope's) while its fixture sets up."""
        self._fixture = frame
        self._touched = set()
        self._cleared = False

    def end_fixture(self, frame: Frame, inner: list[Frame]) -> list[Outcome]:
        """Show the frames inside ``frame`` what its fixture did.

        Theirs to see, not to be charged with.
        """
        touched, cleared = self._touched, self._cleared
        self._fixture, self._touched, self._cleared = None, set(), False
        if not (touched or cleared):
            return []
        targets, seen = [], {id(frame.space)}
        for open_frame in inner:
            space = open_frame.space
            if cleared:
                open_frame.written.clear()
            if id(space) in seen or not space.materialized:
                continue
            seen.add(id(space))
            if cleared:
                space.dead.append(space.live)
                space.live = Generation(self.tag())
            targets.append(open_frame)
        return self.propagate(frame.space.live, targets, touched)

    def propagate(
        self, source: Generation, targets: list[Frame], entries: set
    ) -> list[Outcome]:
        """Make ``entries`` in ``targets``' generations what they are in ``source``.

        Rebase the targets' ``written`` values of them on ``source``'s.
        """
        raise NotImplementedError

    def value(self, generation: Generation, entry) -> object:
        """Return what stands for ``entry``'s value in ``generation`` (or ABSENT)."""
        raise NotImplementedError

    def leave(self, frame: Frame, restore: bool) -> list[Outcome]:
        """End ``frame``: what it changed; with ``restore``, its generation deleted."""
        discard = restore and frame.owns_space()
        return self.settle(frame, discard)

    def settle(self, frame: Frame, discard: bool) -> list[Outcome]:
        """Return ``frame``'s ``Changes``; delete its space's generations if asked."""
        raise NotImplementedError

    def end_run(self) -> list[Outcome]:
        """Delete what the run and the scopes still open hold."""
        outcomes: list[Outcome] = []
        frame = self.current
        while frame is not None:
            if frame.owns_space():
                frame.written = {}
                outcomes += self.settle(frame, discard=True)
            frame = frame.parent
        return outcomes


def grouped(found: dict, origin_of, place) -> list[Entries]:
    """Return {entry: (before, now)} as one ``Entries`` per alias.

    ``origin_of(entry)`` gives (alias, BACKEND, LOCATION) and the key as
    code named it.
    """
    by_alias: dict[tuple, dict] = {}
    for entry, values in sorted(found.items(), key=lambda item: str(item[0])):
        origin, key = origin_of(entry)
        by_alias.setdefault(origin, {})[key] = values
    return [
        Entries((*origin, "cache"), (place, origin[0]), entries)
        for origin, entries in by_alias.items()
    ]


class NamespaceResource(Resource):
    """Every shared store of one kind in this process: a frame of each per scope.

    Stores are found as caches use them (``namespace``); the frames of the
    scopes already open are made then. The engine's scopes map to frames:
    an exempt scope shares its parent's; the receiver's frame is current.
    """

    leaves_with_state = True  # its frames of each namespace
    enters = False  # until a store is in use

    def __init__(self, reset: bool) -> None:
        self.reset = reset
        self.namespaces: dict[object, Namespace] = {}

    def make(self, store) -> Namespace:
        """Return a new namespace for ``store``."""
        raise NotImplementedError

    def namespace(self, store) -> Namespace:
        """The store's namespace, with a frame for each scope open now."""
        namespace = self.namespaces.get(store)
        if namespace is not None:
            return namespace
        namespace = self.namespaces[store] = self.make(store)
        chain = []
        scope = self.engine.current if self.engine else None
        while scope is not None and scope.parent is not None:
            chain.append(scope)
            scope = scope.parent
        frame = namespace.run
        if scope is not None:
            self._frames(scope)[namespace] = frame
        for scope in reversed(chain):
            frame = namespace.child(frame, scope.exempt)
            self._frames(scope)[namespace] = frame
        namespace.current = frame
        if self.engine is not None and self.engine.fixture is not None:
            fixture = self._frames(self.engine.fixture)[namespace]
            namespace.current = fixture
            namespace.begin_fixture(fixture)
        if not self.enters:
            self.enters = True
            if self.engine:
                self.engine.refresh()
        return namespace

    def _frames(self, scope: Scope) -> dict[Namespace, Frame]:
        frames = scope.state[self.slot]
        if frames is None:
            frames = scope.state[self.slot] = {}
        return frames

    def enter(self, scope: Scope) -> None:
        if scope.parent is None:  # the run: each namespace's own run frame
            frames = self._frames(scope)
            for namespace in self.namespaces.values():
                frames[namespace] = namespace.run
            return
        parents = scope.parent.state[self.slot] or {}
        frames = scope.state[self.slot] = {}
        for namespace, parent in parents.items():
            frames[namespace] = namespace.current = namespace.child(
                parent, scope.exempt
            )

    def leave(self, scope: Scope, restore: bool) -> list[Outcome]:
        frames = scope.state[self.slot]
        parents = scope.parent.state[self.slot] if scope.parent else None
        outcomes: list[Outcome] = []
        for namespace, frame in frames.items():
            namespace.current = parents[namespace] if parents else namespace.run
            try:
                outcomes += namespace.leave(frame, restore)
            except Exception as error:  # a bug here must not break the run
                outcomes.append(self.failure(namespace, error))
        return outcomes

    def begin_fixture(self, scope: Scope) -> None:
        for namespace, frame in self._frames(scope).items():
            namespace.current = frame
            namespace.begin_fixture(frame)

    def end_fixture(self, scope: Scope, inner: list[Scope]) -> list[Outcome]:
        frames = self._frames(scope)
        current = self.engine.current.state[self.slot] or {}
        outcomes: list[Outcome] = []
        for namespace, frame in frames.items():
            namespace.current = current.get(namespace, frame)
            inner_frames = [
                s.state[self.slot][namespace]
                for s in inner
                if s.state[self.slot] and namespace in s.state[self.slot]
            ]
            try:
                outcomes += namespace.end_fixture(frame, inner_frames)
            except Exception as error:
                outcomes.append(self.failure(namespace, error))
        return outcomes

    def end_run(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for namespace in self.namespaces.values():
            try:
                outcomes += namespace.end_run()
            except Exception as error:
                outcomes.append(self.failure(namespace, error))
        return outcomes

    def failure(self, namespace: Namespace, error: Exception) -> Outcome:
        """Return the failed reset ``error`` is, named by ``namespace``'s alias."""
        raise NotImplementedError
