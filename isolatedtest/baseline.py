"""A baseline: the leaks a project accepts for now; --strict fails new ones only.

A baseline is a leak report (``--leak-report``) kept in the repository. A
leak is in it when an entry has the same scope, name (test id, class or
module path, pytest node id) and alias (or kind, for caches outside the
cache framework) and names each of its keys and attributes; keys match as
fnmatch patterns (and themselves, whatever their characters), so a key
with an id that changes from run to run can be written ``session:*``.
Entries no leak matches any more are listed after the run, if their scope
ran in it, and so are entries of tests that did not run where others of
their class did (removed, or not selected); a run of part of the suite
says nothing of the rest. The file only shrinks.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

from isolatedtest.outcomes import Leak

Where = tuple[str, str, str]  # (scope, name, alias or location)
# Where a test id divides into the scopes around it: "app.tests.Class.test",
# "tests/test_x.py::Class::test".
_SEPARATOR = re.compile(r"[.:/]")


class Baseline:
    """The accepted leaks of a baseline file, by scope, name and alias."""

    def __init__(self, path: str, leaks: list[dict]) -> None:
        self.path = path
        self.entries: dict[Where, list[str]] = {}
        for leak in leaks:
            where = (leak["scope"], leak["name"], leak["alias"] or leak["location"])
            names = [*leak["keys"], *(f"attribute {a}" for a in leak["attributes"])]
            self.entries.setdefault(where, []).extend(names or ["filled"])
        names = {name for _, name, _ in self.entries}
        self._names = names.union(*map(_around, names))
        # The entries' names, and the scopes around them, a test of this run
        # was or ran under.
        self.reached: set[str] = set()

    def ran(self, test_id: str) -> None:
        """Note that a test ran."""
        self.reached.update((_around(test_id) | {test_id}) & self._names)

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
            if not any(_matches(found, pattern) for pattern in patterns)
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
            if where[0] == "run" or where[1] in self.reached
            for pattern in patterns
            if not any(_matches(key, pattern) for key in found.get(where, ()))
        ]

    def not_run(self) -> list[str]:
        """The entries' tests that did not run, where their class (or module) did."""
        return sorted(
            {
                name
                for scope, name, _ in self.entries
                if scope == "test"
                and name not in self.reached
                and _parent(name) in self.reached
            }
        )


def _matches(key: str, pattern: str) -> bool:
    """A key matches itself (``page[1]`` too), or a pattern written for it."""
    return key == pattern or fnmatchcase(key, pattern)


def _parent(test_id: str) -> str:
    """A test's class, or its module's path for a pytest function."""
    return test_id.rpartition("::" if "::" in test_id else ".")[0]


def _around(name: str) -> set[str]:
    """The names of the scopes around a test or scope: its class, module..."""
    return {name[: found.start()] for found in _SEPARATOR.finditer(name)}
