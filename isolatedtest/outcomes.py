"""What resources report when a scope ends, and what cannot be isolated at all.

Every outcome travels the same way, from any resource and any process (a
parallel worker's pickled events, an xdist worker's export) to the ledger,
the summary, the JSON report and the dependency graph.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Leak:
    """What one cache alias kept after the scope that wrote it ended.

    ``keys`` as code passed them; ``attributes`` of the cache object itself
    that the scope set, rebound or deleted. ``changes``: how each of the
    keys, then each of the attributes, differs from when the scope opened
    (``"added"``, ``"changed"``, ``"deleted"``: ``isolatedtest.engine.change``).
    A cache outside the cache framework has its ``kind`` (``"SITE_CACHE"``,
    ``"memoized shop.pricing.vat_rate"``) also as its ``location``, and no
    alias.
    """

    alias: str
    backend: str
    location: str
    keys: tuple[str, ...]
    attributes: tuple[str, ...] = ()
    kind: str = "cache"
    changes: tuple[str, ...] = ()


class PendingLeak:
    """What a scope left, captured cheaply; worked into a Leak when reported."""

    __slots__ = ()

    def resolve(self) -> Leak | None:
        raise NotImplementedError

    def count(self) -> Count | None:
        """Return what the summary counts of it (cheaper than resolving, if can)."""
        leak = self.resolve()
        return counted(leak) if leak else None


CHANGES = ("added", "changed", "deleted")  # how an entry may differ, in order

# What the summary counts of a leak: (alias or location, keys, attributes,
# {"added": n, "changed": n, "deleted": n}).
Count = tuple[str, int, int, dict[str, int]]


def counted(leak: Leak) -> Count:
    # Kinds of its keys and attributes (not a memoized function's fill),
    # counted in C: this runs for every leak reported in detail.
    changes = leak.changes[: len(leak.keys) + len(leak.attributes)]
    kinds = {kind: n for kind in CHANGES if (n := changes.count(kind))}
    return (leak.alias or leak.location, len(leak.keys), len(leak.attributes), kinds)


@dataclass(frozen=True)
class ResetFailure:
    """A resource that could not be reset; reported, never raised into a test."""

    alias: str
    backend: str
    location: str
    error: str


@dataclass(frozen=True)
class RawWrite:
    """Keys a scope wrote through a cache's raw client, which is not isolated.

    (Memcached's ``cache._cache``: its writes bypass the key function.)
    """

    alias: str
    backend: str
    location: str
    keys: tuple[str, ...]


Place = tuple[str, str]  # (LOCATION, key): one key of one store


@dataclass(frozen=True)
class Access:
    """A test's first access of a key it had not written itself."""

    alias: str
    location: str
    key: str
    kind: str  # "get", "has_key", "add", "incr", ...
    found: bool  # the key was there
    value: bytes | None = None  # what it found (pickled), where the access tells
    left_by: str | None = None  # without isolation: who left what it found


@dataclass(frozen=True)
class Reads:
    """What one scope read from outside and wrote (``--cache-dependencies``).

    ``first``: the first value the scope wrote to each key; ``left``: the
    last value of each key it wrote and did not delete (pickled). A
    leftover equal to what a test writes there itself changes nothing.
    """

    accesses: tuple[Access, ...]
    first: dict[Place, bytes]
    left: dict[Place, bytes]


Outcome = Leak | PendingLeak | ResetFailure | RawWrite | Reads


@dataclass(frozen=True)
class Unsupported:
    """A cache alias isolatedtest cannot isolate: why, and what that leaves out."""

    alias: str
    backend: str
    reason: str = "which isolatedtest has no strategy for"
    effect: str = (
        "what this backend stores itself is NOT isolated between tests (what it "
        "keeps in a LocMemCache or another isolated alias is)"
    )


@dataclass(frozen=True)
class BadLocation:
    """A cache alias whose LOCATION its backend cannot use: its tests will fail."""

    alias: str
    backend: str
    location: str
    error: str


@dataclass(frozen=True)
class BrokenResource:
    """A resource registered under ``isolatedtest.resources`` that failed to load."""

    name: str
    target: str  # the entry point's "module:attribute"
    error: str
