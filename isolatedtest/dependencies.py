"""Which test depends on cache state which other test leaves behind.

Joins what tests read from outside themselves (``resources/access.py``) with
what tests and classes leave behind (their leaks). Under isolation a read
of a key that was not there, of a key some other test or class leaves
behind, is a dependency: without isolation that test would see the
leftover or not, by order and worker. The join uses every scope's records,
wherever and whenever it ran, so the graph is the same in every order.
Without isolation each read names who really left what it found.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from isolatedtest.ledger import Record
from isolatedtest.outcomes import Leak, Reads

# Django's cache middleware: a header key per URL, read first, names the page.
CACHE_HEADER = "views.decorators.cache.cache_header."
CACHE_PAGE = "views.decorators.cache.cache_page."


@dataclass(frozen=True, order=True)
class Dependency:
    """A test that reads a key other tests or classes leave behind."""

    reader: str
    alias: str
    location: str
    key: str
    access: str  # the first access: "get", "has_key", "incr", ...
    writers: tuple[str, ...]


def dependencies(records: list[Record], isolated: bool) -> list[Dependency]:
    """Return the dependencies the records show, sorted by reader and key."""
    if not isolated:
        return _what_happened(records)
    leavers: dict[tuple[str, str], set[str]] = defaultdict(set)  # from the leaks
    left: dict[str, dict] = {}  # {scope: {place: the value it left}}
    for record in records:
        if record.scope == "run":
            continue
        if isinstance(record.outcome, Leak):
            for key in record.outcome.keys:
                leavers[record.outcome.location, key].add(record.name)
        elif isinstance(record.outcome, Reads):
            left[record.name] = record.outcome.left
    found = set()
    for record in records:
        if isinstance(record.outcome, Reads) and record.scope == "test":
            for writer, access in _depended_on(record, leavers, left):
                found.add((record.name, access, writer))
    return _grouped(found)


def _depended_on(record: Record, leavers: dict, left: dict):
    """Yield (writer, access) for each outside read a leftover would change.

    A key that was not there: any other test or class that leaves it with a
    value other than the one the reader writes there itself. A key that was
    there (its class's state): another test of the class that leaves it with
    another value. A cached page's header, the same for every test, leads to
    the page: it counts when the page the writer leaves differs.
    """
    reads = record.outcome
    klass = _parent(record.name)
    for access in reads.accesses:
        place = _place(access)
        for writer in leavers.get(place, ()):
            if writer == record.name:
                continue
            theirs = left.get(writer, {})
            if access.found:
                same_class = _parent(writer) == klass
                if same_class and (
                    access.value is None or theirs.get(place) != access.value
                ):
                    yield writer, access
            elif _changes(reads.first, theirs, place) or (
                access.key.startswith(CACHE_HEADER)
                and _page_changes(reads.first, theirs)
            ):
                yield writer, access


def _changes(first: dict, theirs: dict, place) -> bool:
    """Whether the writer's leftover at ``place`` differs from the reader's own."""
    return place not in first or theirs.get(place) != first[place]


def _page_changes(first: dict, theirs: dict) -> bool:
    """Whether a cached page the writer leaves differs from the reader's."""
    return any(
        _changes(first, theirs, place)
        for place in theirs
        if place[1].startswith(CACHE_PAGE)
    )


def _what_happened(records: list[Record]) -> list[Dependency]:
    """Without isolation: each read of a value another scope had left."""
    found = set()
    for record in records:
        if isinstance(record.outcome, Reads) and record.scope == "test":
            for access in record.outcome.accesses:
                if access.left_by not in (None, record.name):
                    found.add((record.name, access, access.left_by))
    return _grouped(found)


def _grouped(found: set) -> list[Dependency]:
    """Merge (reader, access, writer) triples into one Dependency per read."""
    writers: dict[tuple, set[str]] = defaultdict(set)
    for reader, access, writer in found:
        writers[reader, access].add(writer)
    return sorted(
        Dependency(
            reader,
            access.alias,
            access.location,
            access.key,
            access.kind,
            tuple(sorted(names)),
        )
        for (reader, access), names in writers.items()
    )


def _parent(name: str) -> str:
    """The class (or module) a test belongs to: unittest ids and pytest node ids."""
    separator = "::" if "::" in name else "."
    return name.rsplit(separator, 1)[0]


def _place(access) -> tuple[str, str]:
    return (access.location, access.key)


def summary(
    found: list[Dependency],
    isolated: bool,
    verbosity: int,
    more: str = "Run with -v 2 to list them.",
) -> str:
    """Return the lines about dependencies printed after the run."""
    readers = sorted({dependency.reader for dependency in found})
    if not readers:
        if isolated:
            return (
                "isolatedtest: no test depends on cache state other tests leave behind."
            )
        return "isolatedtest: no test read cache state another test left behind."
    count = f"{len(readers)} test{'s' if len(readers) > 1 else ''}"
    if isolated:
        head = (
            f"isolatedtest: {count} depend{'s' if len(readers) == 1 else ''} on cache "
            "state other tests leave behind (without isolation, what they see "
            "depends on the order)"
        )
    else:
        head = f"isolatedtest: {count} read cache state other tests left behind"
    if verbosity < 2:
        return f"{head}. {more}"
    lines = [f"{head}:"]
    for reader in readers:
        lines.append(f"  {reader}")
        for dependency in found:
            if dependency.reader != reader:
                continue
            how = f", {dependency.access}" if verbosity >= 3 else ""
            alias = dependency.alias or dependency.location
            lines.append(
                f"      reads {dependency.key!r} (alias {alias!r}{how}) left by "
                + ", ".join(dependency.writers)
            )
    return "\n".join(lines)


def as_json(found: list[Dependency]) -> list[dict]:
    return [
        {
            "reader": dependency.reader,
            "writers": list(dependency.writers),
            "alias": dependency.alias,
            "location": dependency.location,
            "key": dependency.key,
            "access": dependency.access,
        }
        for dependency in found
    ]
