"""Memcached, file and database caches: a store's generations, through the cache API.

Every alias on a store shares its namespace, as they share its data without
isolation: a key one alias sets is read through another with the same
KEY_PREFIX, and ``clear()`` through any of them empties the store for all.
The overrides (``overrides.py``) tell the namespace what each operation
does; keys are routed by the key function. The keys each scope writes are
recorded, with their values: that is what the leak is judged on, what a
scope that inherits them copies, and what lets the run delete exactly its
own keys.
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

from isolatedtest.engine import ABSENT, PRESENT
from isolatedtest.outcomes import Outcome, RawWrite, ResetFailure
from isolatedtest.resources.generations import (
    Frame,
    Generation,
    Namespace,
    Space,
    grouped,
)

# Memcached, files and tables cannot list a dead run's keys: every key a run
# writes there expires within this many seconds.
MAX_TIMEOUT = 24 * 60 * 60
UNKNOWN = object()  # a value isolatedtest did not see (it cannot copy it)
KEEP = object()  # an operation that leaves the key's expiry as it was

# While set, the current thread does isolatedtest's own I/O in the
# generation ``tag``: the overrides pass calls straight to the backend, with
# no bookkeeping and no copying.
_internal = threading.local()


@contextmanager
def in_generation(tag: str):
    outer = getattr(_internal, "tag", None)  # a copy's set_many may cull
    _internal.tag = tag
    try:
        yield
    finally:
        _internal.tag = outer


def internal_tag() -> str | None:
    return getattr(_internal, "tag", None)


class CacheNamespace(Namespace):
    """One store's generations, kept through its aliases' cache instances.

    An entry is (writer group, key, version): aliases with the same
    KEY_PREFIX and key function make the same server key of it. A record is
    [expiry or None, pickled value or UNKNOWN, the instance that wrote it].
    """

    def __init__(self, base: str, reset: bool, persistent) -> None:
        super().__init__(base, reset)
        self.aliases: dict[str, tuple[str, str]] = {}  # {alias: (BACKEND, LOCATION)}
        self._groups: dict[tuple, str] = {}  # {writer group: an alias of it}
        self._persistent = persistent
        self._persistent_keys: dict[str, bool] = {}
        self._raw: dict[Frame, dict[str, set[str]]] = {}  # keys raw clients wrote
        self.verify = False  # some writer swallows errors: check leaks exist

    # Routing, called by the overrides.

    def prefix(self, user_prefix: str, key: str) -> str:
        tag = internal_tag() or self._frame_for(key).space.live.tag
        return f"{user_prefix}:{tag}" if user_prefix else tag

    def _frame_for(self, key: str) -> Frame:
        """Persistent keys live in the run's generation; others in the scope's."""
        if self._persistent and self._is_persistent(key):
            return self.run
        return self.current

    def _is_persistent(self, key: str) -> bool:
        found = self._persistent_keys.get(key)
        if found is None:
            found = self._persistent_keys[key] = bool(self._persistent.match(key))
        return found

    def enter(self, instance) -> bool:
        """Prepare the current scope for an operation; False for our own I/O."""
        if internal_tag():
            return False
        frame = self.current
        if not frame.space.materialized:
            frame.space.materialized = True
            source = self.source(frame).space.live
            self._copy(source, frame.space.live, list(source.records), instance)
        return True

    # Bookkeeping, called by the overrides after the backend's own call.

    def _entry(self, instance, key, version) -> tuple:
        group = instance._isolatedtest_group()
        self._groups.setdefault(group, instance._isolatedtest_alias)
        return (group, key, _version(instance, version))

    def wrote(self, instance, key, version, timeout, value=UNKNOWN) -> None:
        if timeout is not KEEP:
            timeout = _seconds(instance, timeout)
            if timeout is not None and timeout <= 0:
                self.deleted(instance, key, version)
                return
        frame = self._frame_for(key)
        entry = self._entry(instance, key, version)
        self.changing(frame, entry)
        generation = frame.space.live
        record = generation.records.get(entry)
        if timeout is KEEP:
            expiry = record[0] if record else None
        else:
            expiry = None if timeout is None else time.time() + timeout
        if value is not UNKNOWN:
            value = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        generation.records[entry] = [expiry, value, instance]

    def touched(self, instance, key, version, timeout) -> None:
        frame = self._frame_for(key)
        entry = self._entry(instance, key, version)
        record = frame.space.live.records.get(entry)
        if record is not None:
            self.changing(frame, entry)
            timeout = _seconds(instance, timeout)
            record[0] = None if timeout is None else time.time() + timeout

    def deleted(self, instance, key, version) -> None:
        frame = self._frame_for(key)
        entry = self._entry(instance, key, version)
        self.changing(frame, entry)
        frame.space.live.records.pop(entry, None)

    def cleared(self) -> None:
        self.clear(self.current)

    def raw_write(self, alias: str, keys) -> None:
        """Note keys written through a raw client, which isolation does not cover."""
        raw = self._raw.setdefault(self.current, {})
        raw.setdefault(alias, set()).update(str(key) for key in keys)

    # What file and database caches need for culling within a generation.

    def live_generation(self) -> Generation:
        return self.current.space.live

    def emptied(self) -> None:
        """The backend deleted the current generation's keys itself (culling)."""
        frame = self.current
        for entry in frame.space.live.records:
            self.changing(frame, entry)
        frame.space.live.records = {}

    def prune(self, exists: Callable[[object, str, int], bool]) -> None:
        """Forget the current generation's keys that ``exists`` says are gone."""
        frame = self.current
        generation = frame.space.live
        with in_generation(generation.tag):
            gone = [
                entry
                for entry, record in generation.records.items()
                if not exists(record[2], entry[1], entry[2])
            ]
        for entry in gone:
            self.changing(frame, entry)
            del generation.records[entry]

    # The model's I/O.

    def value(self, generation: Generation, entry) -> object:
        record = generation.records.get(entry)
        if record is None or not _live(record, time.time()):
            return ABSENT
        return PRESENT if record[1] is UNKNOWN else record[1]

    def _copy(self, source: Generation, target: Generation, entries, instance=None):
        """Copy ``entries`` of ``source`` (the live ones we know the values of)."""
        now = time.time()
        groups: dict[tuple, dict] = defaultdict(dict)
        writers = {}
        for entry in entries:
            record = source.records.get(entry)
            if record is None or record[1] is UNKNOWN or not _live(record, now):
                continue
            group, key, version = entry
            if self._persistent and self._is_persistent(key):
                continue
            expiry = record[0]
            ttl = None if expiry is None else max(1, math.ceil(expiry - now))
            groups[group, version, ttl][key] = pickle.loads(record[1])
            target.records[entry] = list(record)
            writers[group] = record[2]
        own = instance._isolatedtest_group() if instance is not None else None
        with in_generation(target.tag):
            for (group, version, ttl), data in groups.items():
                writer = instance if group == own else writers[group]
                writer.set_many(data, timeout=ttl, version=version)

    def propagate(self, source: Generation, targets: list[Frame], entries: set):
        for frame in targets:
            target = frame.space.live
            self._delete(target, entries)
            self._copy(source, target, entries)
            for entry in entries & frame.written.keys():
                frame.written[entry] = self.value(source, entry)
        return []

    def _delete(self, generation: Generation, entries) -> None:
        """Delete ``entries`` from ``generation``, where it holds them."""
        for entry in entries:
            record = generation.records.pop(entry, None)
            if record is not None:
                with in_generation(generation.tag):
                    record[2].delete(entry[1], version=entry[2])

    def settle(self, frame: Frame, discard: bool) -> list[Outcome]:
        live, value = frame.space.live, self.value
        found = {e: (before, value(live, e)) for e, before in frame.written.items()}
        frame.written = {}
        if self.verify:
            self._existing(live, found)
        outcomes: list[Outcome] = [
            *grouped(found, self._origin, id(self)),
            *self._raw_writes(frame),
        ]
        if discard:
            failures: list[Outcome] = []
            if self._discard(frame.space, failures):
                return failures  # the store is gone, and all in it
            outcomes += failures
        return outcomes

    def _origin(self, entry) -> tuple[tuple[str, str, str], str]:
        alias = self._groups[entry[0]]
        return (alias, *self.aliases[alias]), entry[1]

    def _raw_writes(self, frame: Frame) -> list[RawWrite]:
        raw = self._raw.pop(frame, None)
        if not raw:
            return []
        return [
            RawWrite(alias, *self.aliases[alias], tuple(sorted(keys)))
            for alias, keys in sorted(raw.items())
        ]

    def _existing(self, generation: Generation, found: dict) -> None:
        """Make absent what is not really on the server (a writer swallows errors)."""
        groups: dict[tuple, list] = defaultdict(list)
        for entry, (_, after) in found.items():
            record = generation.records.get(entry)
            if after is not ABSENT and record is not None:
                groups[entry[0], entry[2]].append((entry[1], entry, record[2]))
        with in_generation(generation.tag):
            for (_, version), items in groups.items():
                keys = [key for key, _, _ in items]
                there = items[0][2].get_many(keys, version=version)
                for key, entry, _ in items:
                    if key not in there:
                        found[entry] = (found[entry][0], ABSENT)

    def _discard(self, space: Space, outcomes: list[Outcome]) -> bool:
        """Delete from the server every key this process put in ``space``.

        Return whether the store turned out to be gone (nothing remains).
        """
        generations = [*space.dead, space.live]
        space.dead = []
        space.live = Generation(space.live.tag)
        gone = False
        for generation in generations:
            if not generation.records:
                continue
            try:
                _delete_all(generation)
            except Exception as error:
                writer = next(iter(generation.records.values()))[2]
                if writer._isolatedtest_store_gone(error):
                    gone = True
                else:
                    outcomes.append(self.failure(writer._isolatedtest_alias, error))
        return gone

    def failure(self, alias: str, error: Exception) -> ResetFailure:
        backend, location = self.aliases[alias]
        return ResetFailure(
            alias, backend, location, f"{type(error).__name__}: {error}"
        )


def _delete_all(generation: Generation) -> None:
    groups: dict[tuple, list] = defaultdict(list)
    writers = {}
    for (group, key, version), record in generation.records.items():
        groups[group, version].append(key)
        writers[group] = record[2]
    with in_generation(generation.tag):
        for (group, version), names in groups.items():
            writers[group]._isolatedtest_delete(names, version)


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
