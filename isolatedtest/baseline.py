"""A baseline: the leaks a project accepts for now; --strict fails new ones only.

A baseline is a leak report (``--leak-report``) kept in the repository. A
leak is in it when an entry has the same scope, name (test id, class or
module path, pytest node id) and alias (or kind, for caches outside the
cache framework) and names each of its keys and attributes; keys match as
fnmatch patterns, so a key with an id that changes from run to run can be
written ``session:*``. Entries no leak matches any more are listed after
the run: the file only shrinks.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path

from isolatedtest.outcomes import Leak

Where = tuple[str, str, str]  # (scope, name, alias or location)


class Baseline:
    """The accepted leaks of a baseline file, by scope, name and alias."""

    def __init__(self, path: str, leaks: list[dict]) -> None:
        self.path = path
        self.entries: dict[Where, list[str]] = {}
        for leak in leaks:
            where = (leak["scope"], leak["name"], leak["alias"] or leak["location"])
            names = [*leak["keys"], *(f"attribute {a}" for a in leak["attributes"])]
            self.entries.setdefault(where, []).extend(names or ["filled"])

    @classmethod
    def load(cls, path: str) -> Baseline:
        """Read ``path``; raise ValueError saying what is wrong with it."""
        try:
            document = json.loads(Path(path).read_text())
            return cls(path, document["leaks"])
        except OSError as error:
            raise ValueError(error.strerror or str(error)) from None
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"it is not a leak report ({error!r})") from None

    def rest(self, scope: str, name: str, leak: Leak) -> Leak | None:
        """Return the part of ``leak`` the baseline does not accept, or None."""
        patterns = self.entries.get((scope, name, leak.alias or leak.location))
        if patterns is None:
            return leak
        names = [*leak.keys, *(f"attribute {a}" for a in leak.attributes)]
        new = [
            i
            for i, found in enumerate(names or ["filled"])
            if not any(fnmatchcase(found, pattern) for pattern in patterns)
        ]
        if not new:
            return None
        keys = len(leak.keys)
        return Leak(
            leak.alias,
            leak.backend,
            leak.location,
            tuple(leak.keys[i] for i in new if i < keys),
            tuple(leak.attributes[i - keys] for i in new if i >= keys),
            leak.kind,
            tuple(leak.changes[i] for i in new if i < len(leak.changes)),
        )

    def stale(self, leaks: list[tuple[str, str, Leak]]) -> list[tuple[Where, str]]:
        """Return the baseline's (scope, name, alias) and keys no leak matches."""
        found: dict[Where, list[str]] = {}
        for scope, name, leak in leaks:
            where = (scope, name, leak.alias or leak.location)
            names = [*leak.keys, *(f"attribute {a}" for a in leak.attributes)]
            found.setdefault(where, []).extend(names or ["filled"])
        return [
            (where, pattern)
            for where, patterns in self.entries.items()
            for pattern in patterns
            if not any(fnmatchcase(key, pattern) for key in found.get(where, ()))
        ]
