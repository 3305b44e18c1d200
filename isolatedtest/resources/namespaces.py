"""One shared store's scopes, as generations of a key namespace.

A store is one place data lives: a Redis database, a set of Memcached
servers, a directory, a database table. Every alias on it shares its
namespace, as they share its data without isolation: a key one alias sets is
read through another with the same KEY_PREFIX, and ``clear()`` through any
of them empties the store for all. The namespace tag, after the user's
KEY_PREFIX, is ``isolatedtest:<run id>:<pid>:<generation>``. A scope gets a
fresh generation, so undoing a test is switching back to its class's
generation, with no I/O; ``clear()`` in a scope is a fresh generation too.
The keys each scope writes are recorded: that is the leak list, and it lets
the run delete exactly its own keys. A test whose class wrote keys gets them
copied into its generation on its first cache operation, from the values
recorded when the class wrote them.
"""

from __future__ import annotations

import math
import pickle
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT

from isolatedtest.outcomes import Leak, Outcome, RawWrite, ResetFailure

NAMESPACE_MARK = "isolatedtest"
# Memcached, files and tables cannot list a dead run's keys: every key a run
# writes there expires within this many seconds.
MAX_TIMEOUT = 24 * 60 * 60
UNKNOWN = object()  # a value isolatedtest did not see (it cannot copy it)
KEEP = object()  # an operation that leaves the key's expiry as it was
_NOTHING: list = []  # what a scope's end returns when there is nothing (not mutated)

# (writer group, key, version): one key on the server. Aliases with the same
# KEY_PREFIX and key function (a group) make the same server key of it.
EntryId = tuple[tuple, str, int]

# While set, the current thread does isolatedtest's own I/O in the
# generation ``tag``: the overrides pass calls straight to the backend, with
# no bookkeeping and no copying.
_internal = threading.local()


@contextmanager
def in_generation(tag: str):
    _internal.tag = tag
    try:
        yield
    finally:
        _internal.tag = None


def internal_tag() -> str | None:
    return getattr(_internal, "tag", None)


class Generation:
    """The keys this process knows to be in one generation, and who wrote them."""

    __slots__ = ("keys", "tag", "writers")

    def __init__(self, tag: str) -> None:
        self.tag = tag
        # {entry id: [expiry or None, pickled value or UNKNOWN, alias]}
        self.keys: dict[EntryId, list] = {}
        self.writers: dict[tuple, object] = {}  # {group: an instance of it}


class Space:
    """What a scope sees: its current generation, and those clear() emptied."""

    __slots__ = ("dead", "keeps_values", "live", "materialized")

    def __init__(self, tag: str, materialized: bool, keeps_values: bool) -> None:
        self.live = Generation(tag)
        self.dead: list[Generation] = []
        self.materialized = materialized
        # Only a generation that scopes inherit from needs the values.
        self.keeps_values = keeps_values


class Frame:
    """A scope (run, class, test...), as seen by one store."""

    __slots__ = ("parent", "raw", "space", "written")

    def __init__(self, parent: Frame | None, space: Space) -> None:
        self.parent = parent
        self.space = space
        self.written: set[EntryId] = set()
        self.raw: dict[str, set[str]] | None = None  # {alias: keys a raw client wrote}


class Namespace:
    """The scopes of one shared store in this process, as frames.

    ``SharedResource`` makes a frame for each engine scope (``child``), says
    which one is current, and ends them (``leave``).
    """

    def __init__(self, base: str, reset: bool, persistent) -> None:
        self.aliases: dict[str, tuple[str, str]] = {}  # {alias: (BACKEND, LOCATION)}
        self._base = base
        self._count = 0
        self._reset = reset
        self._persistent = persistent
        self._persistent_keys: dict[str, bool] = {}
        self.verify = False  # some writer swallows errors: check leaks exist
        self.run = Frame(None, self._space(materialized=True))
        self.current = self.run
        self._resume: Frame | None = None  # the frame a fixture interrupted
        # While a wider scope's fixture sets up: what that scope had written,
        # how often it had been cleared, and what the fixture deleted.
        self._before: set[EntryId] = set()
        self._clears = 0
        self._deleted: set[EntryId] = set()

    # Scope changes.

    def _tag(self) -> str:
        self._count += 1
        # Fixed width: no generation's tag is the start of another's.
        return f"{self._base}:{self._count:08x}"

    def _space(self, materialized: bool = False, keeps_values: bool = True) -> Space:
        return Space(self._tag(), materialized, keeps_values)

    def child(self, parent: Frame, test: bool, exempt: bool) -> Frame:
        """Return the frame of a scope opening inside ``parent``'s.

        An exempt test writes into its class's generation; what it writes is
        its own (not charged to the class), and undone with the class. Only
        a generation that scopes inherit from keeps written values.
        """
        if exempt or not self._reset:
            return Frame(parent, parent.space)
        return Frame(parent, self._space(keeps_values=not test))

    def leave(self, frame: Frame, report: bool, exempt: bool) -> list[Outcome]:
        """End ``frame``: its leaks, and (isolating) its generation deleted."""
        self.current = frame.parent
        return _NOTHING if exempt else self._end(frame, report)

    def begin_fixture(self, frame: Frame) -> None:
        """Route writes to ``frame`` (an outer scope's) while its fixture sets up."""
        self._resume, self.current = self.current, frame
        self._before = set(frame.written)
        self._clears = len(frame.space.dead)

    def end_fixture(self, frame: Frame) -> None:
        """Show the frames inside it already in use what the fixture did.

        What it wrote is copied into them; what it deleted is deleted there;
        if it cleared the store, their generations are emptied too.
        """
        self.current, self._resume = self._resume, None
        cleared = len(frame.space.dead) > self._clears
        new = set(frame.written) if cleared else frame.written - self._before
        deleted, self._deleted = self._deleted, set()
        self._before = set()
        inner, done = self.current, {id(frame.space)}
        while inner is not None and inner is not frame:
            space = inner.space
            if id(space) not in done and space.materialized:
                done.add(id(space))
                if cleared:
                    space.dead.append(space.live)
                    space.live = Generation(self._tag())
                else:
                    self._delete(space.live, deleted)
                self._copy(frame.space.live, space.live, new)
            inner.written -= deleted
            if cleared:
                inner.written.clear()
            inner = inner.parent

    def _delete(self, generation: Generation, entries) -> None:
        """Delete ``entries`` from ``generation``, where it holds them."""
        for entry in entries:
            if generation.keys.pop(entry, None) is None:
                continue
            group, key, version = entry
            with in_generation(generation.tag):
                generation.writers[group].delete(key, version=version)

    def end_run(self) -> list[Outcome]:
        """Delete what the run and the scopes still open hold."""
        outcomes: list[Outcome] = []
        frame = self.current
        while frame is not None:
            if frame.parent is None or frame.space is not frame.parent.space:
                self._discard(frame.space, outcomes)
            frame = frame.parent
        return outcomes

    def _end(self, frame: Frame, report: bool) -> list[Outcome]:
        leaks: list[Outcome] = self._leaks(frame) if report else []
        if frame.raw:
            leaks += [
                RawWrite(alias, *self.aliases[alias], tuple(sorted(keys)))
                for alias, keys in sorted(frame.raw.items())
            ]
        if not self._reset:
            return leaks
        failures: list[Outcome] = []
        if self._discard(frame.space, failures):
            return failures
        return leaks + failures

    def _leaks(self, frame: Frame) -> list[Leak]:
        if not frame.written:
            return []
        now = time.time()
        keys = frame.space.live.keys
        by_alias: dict[str, set[str]] = defaultdict(set)
        left = [
            (entry, keys[entry])
            for entry in frame.written
            if entry in keys and _live(keys[entry], now)
        ]
        if self.verify:
            left = self._existing(frame.space.live, left)
        for (_, key, _), (_, _, alias) in left:
            by_alias[alias].add(key)
        return [
            Leak(alias, *self.aliases[alias], tuple(sorted(found)))
            for alias, found in sorted(by_alias.items())
        ]

    def _existing(self, generation: Generation, entries: list) -> list:
        """Keep the entries really on the server (for writers that swallow errors)."""
        groups: dict[tuple, list] = defaultdict(list)
        for entry, value in entries:
            group, key, version = entry
            groups[group, version].append((key, entry, value))
        kept = []
        with in_generation(generation.tag):
            for (group, version), items in groups.items():
                writer = generation.writers[group]
                found = writer.get_many([key for key, _, _ in items], version=version)
                kept += [(entry, value) for key, entry, value in items if key in found]
        return kept

    def _discard(self, space: Space, outcomes: list[Outcome]) -> bool:
        """Delete from the server every key this process put in ``space``.

        Return whether the store turned out to be gone (nothing remains).
        """
        generations = [*space.dead, space.live]
        space.dead = []
        space.live = Generation(space.live.tag)
        gone = False
        for generation in generations:
            try:
                _delete_all(generation)
            except Exception as error:
                writer = next(iter(generation.writers.values()))
                if writer._isolatedtest_store_gone(error):
                    gone = True
                else:
                    alias = next(iter(generation.keys.values()))[2]
                    outcomes.append(self.failure(alias, error))
        return gone

    def failure(self, alias: str, error: Exception) -> ResetFailure:
        backend, location = self.aliases[alias]
        return ResetFailure(
            alias, backend, location, f"{type(error).__name__}: {error}"
        )

    # Routing and bookkeeping, called by NamespacedCache.

    def prefix(self, user_prefix: str, key: str) -> str:
        tag = internal_tag() or self._space_for(key).live.tag
        return f"{user_prefix}:{tag}" if user_prefix else tag

    def _space_for(self, key: str) -> Space:
        if self._persistent and self._is_persistent(key):
            return self.run.space
        return self.current.space

    def _is_persistent(self, key: str) -> bool:
        found = self._persistent_keys.get(key)
        if found is None:
            found = self._persistent_keys[key] = bool(self._persistent.match(key))
        return found

    def enter(self, instance) -> bool:
        """Prepare the current scope for an operation; False for our own I/O."""
        if internal_tag():
            return False
        space = self.current.space
        if not space.materialized:
            space.materialized = True
            self._inherit(self.current, instance)
        return True

    def _inherit(self, frame: Frame, instance) -> None:
        """Copy the keys the enclosing frames left visible into ``frame``."""
        parent = frame.parent
        while not parent.space.materialized:
            parent = parent.parent
        source = parent.space.live
        self._copy(source, frame.space.live, source.keys, instance)

    def _copy(self, source: Generation, target: Generation, entries, instance=None):
        """Copy ``entries`` of ``source`` (the live ones we know the values of)."""
        now = time.time()
        groups: dict[tuple, dict] = defaultdict(dict)
        for entry in entries:
            record = source.keys.get(entry)
            if record is None:
                continue
            expiry, value, _ = record
            group, key, version = entry
            if value is UNKNOWN or not _live(record, now):
                continue
            if self._persistent and self._is_persistent(key):
                continue
            ttl = None if expiry is None else max(1, math.ceil(expiry - now))
            groups[group, version, ttl][key] = pickle.loads(value)
            target.keys[entry] = list(record)
            target.writers[group] = source.writers[group]
        own = instance._isolatedtest_group() if instance is not None else None
        with in_generation(target.tag):
            for (group, version, ttl), data in groups.items():
                writer = instance if group == own else source.writers[group]
                writer.set_many(data, timeout=ttl, version=version)

    def wrote(self, instance, key, version, timeout, value=UNKNOWN) -> None:
        version = _version(instance, version)
        if timeout is not KEEP:
            timeout = _seconds(instance, timeout)
            if timeout is not None and timeout <= 0:
                self.deleted(instance, key, version)
                return
        space = self._space_for(key)
        group = instance._isolatedtest_group()
        entry = (group, key, version)
        generation = space.live
        record = generation.keys.get(entry)
        if timeout is KEEP:
            expiry = record[0] if record else None
        else:
            expiry = None if timeout is None else time.time() + timeout
        if value is not UNKNOWN and space.keeps_values:
            value = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        else:
            value = UNKNOWN
        generation.keys[entry] = [expiry, value, instance._isolatedtest_alias]
        generation.writers[group] = instance
        if space is self.current.space:
            self.current.written.add(entry)

    def raw_write(self, alias: str, keys) -> None:
        """Note keys written through a raw client, which isolation does not cover."""
        frame = self.current
        if frame.raw is None:
            frame.raw = {}
        frame.raw.setdefault(alias, set()).update(str(key) for key in keys)

    def touched(self, instance, key, version, timeout) -> None:
        entry = (instance._isolatedtest_group(), key, _version(instance, version))
        record = self._space_for(key).live.keys.get(entry)
        if record is not None:
            timeout = _seconds(instance, timeout)
            record[0] = None if timeout is None else time.time() + timeout

    def deleted(self, instance, key, version) -> None:
        entry = (instance._isolatedtest_group(), key, _version(instance, version))
        self._space_for(key).live.keys.pop(entry, None)
        self.current.written.discard(entry)
        if self._resume is not None:  # a wider fixture: narrower scopes too
            self._deleted.add(entry)

    def cleared(self) -> None:
        """Empty the current scope: a fresh generation, the old one to delete."""
        space = self.current.space
        space.dead.append(space.live)
        space.live = Generation(self._tag())
        space.materialized = True
        self.current.written.clear()

    # What file and database caches need for culling within a generation.

    def live_generation(self) -> Generation:
        return self.current.space.live

    def emptied(self) -> None:
        """The backend deleted the current generation's keys itself (culling)."""
        space = self.current.space
        space.live.keys = {}
        space.materialized = True
        self.current.written.clear()

    def prune(self, exists: Callable[[object, str, int], bool]) -> None:
        """Forget the current generation's keys that ``exists`` says are gone."""
        generation = self.current.space.live
        with in_generation(generation.tag):
            gone = [
                entry
                for entry in generation.keys
                if not exists(generation.writers[entry[0]], entry[1], entry[2])
            ]
        for entry in gone:
            del generation.keys[entry]
            self.current.written.discard(entry)


def _delete_all(generation: Generation) -> None:
    groups: dict[tuple, list] = defaultdict(list)
    for group, key, version in generation.keys:
        groups[group, version].append(key)
    with in_generation(generation.tag):
        for (group, version), names in groups.items():
            generation.writers[group]._isolatedtest_delete(names, version)


def _live(record, now: float) -> bool:
    return record[0] is None or record[0] > now


def _version(instance, version):
    return instance.version if version is None else version


def _seconds(instance, timeout):
    return instance.default_timeout if timeout is DEFAULT_TIMEOUT else timeout


def capped(instance, timeout):
    """Bound a timeout so that keys a crashed run leaves behind expire."""
    seconds = _seconds(instance, timeout)
    return MAX_TIMEOUT if seconds is None else min(seconds, MAX_TIMEOUT)
