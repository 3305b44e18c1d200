"""Confirmed culprits: the dependencies that change a test's outcome.

``--cache-dependencies`` names every read of another test's leftover; most
of them change nothing an assertion sees. After the run, each (reader,
writer) pair is rerun once, in a process of its own: the writer, then the
reader, without isolation (``isolatedtest --no-isolation``: the same
namespaces and sweep as any run, so the user's data on shared servers is
never touched). A pair is confirmed when the reader, which passed here,
fails there. The reruns go several at a time where the run did (and every
test database is an in-memory SQLite one: others would share a name), up to
a limit; what is over it is named as not checked.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from isolatedtest.dependencies import Dependency

RERUN_TIMEOUT = 600  # seconds a rerun may take
FAILED = ("FAIL", "ERROR", "FAILED")


@dataclass(frozen=True)
class Culprit:
    """A writer whose leftover a reader reads: checked by a rerun, or not."""

    reader: str
    writer: str
    keys: tuple[str, ...]
    outcome: str | None = None  # the reader's, after the writer; None: unchecked
    together: str = ""  # the command that runs the writer, then the reader
    alone: str = ""  # the command that runs the reader alone

    @property
    def confirmed(self) -> bool:
        return self.outcome in FAILED


class Rerun:
    """How a front end reruns tests: the command, and a reader's outcome in it."""

    def command(self, tests: Sequence[str]) -> list[str]:
        """The command running ``tests`` in order, without isolation."""
        raise NotImplementedError

    def shown(self, tests: Sequence[str]) -> str:
        """The command a user pastes to run ``tests`` in order, plainly."""
        raise NotImplementedError

    def outcome(self, output: str, test: str) -> str | None:
        """Return ``test``'s outcome in a rerun's output, if it is there."""
        raise NotImplementedError


class UnittestRerun(Rerun):
    """``manage.py isolatedtest --no-isolation -v 2 WRITER READER``."""

    # unittest's -v 2 line: "test_x (module.Class.test_x) ... ok" (3.11+) or
    # "test_x (module.Class) ... ok".
    LINE = re.compile(r"^(\w+) \(([\w.]+)\)(?: \(.*\))? \.\.\. (\S+)", re.M)

    def __init__(self) -> None:
        program = sys.argv[0]
        if program.endswith("__main__.py"):  # python -m django
            self.program = [sys.executable, "-m", "django"]
        elif program.endswith(".py"):
            self.program = [sys.executable, program]
        else:
            self.program = [program]
        self.where = _where(sys.argv[1:])

    def command(self, tests: Sequence[str]) -> list[str]:
        options = ["-v", "2", "--noinput", "--no-isolation"]
        return [*self.program, "isolatedtest", *self.where, *options, *tests]

    def shown(self, tests: Sequence[str]) -> str:
        plain = (
            "python manage.py" if self.program[-1].endswith(".py") else "django-admin"
        )
        return shlex.join([*plain.split(), "test", *self.where, *tests])

    def outcome(self, output: str, test: str) -> str | None:
        for name, where, result in self.LINE.findall(output):
            found = where if where.endswith(f".{name}") else f"{where}.{name}"
            if found == test:
                return result
        return None


def _where(argv: Sequence[str]) -> list[str]:
    """The run's ``--settings`` and ``--pythonpath``: a rerun needs the same."""
    found = []
    for index, arg in enumerate(argv):
        for name in ("--settings", "--pythonpath"):
            if arg.startswith(f"{name}="):
                found.append(arg)
            elif arg == name and index + 1 < len(argv):
                found.append(f"{name}={argv[index + 1]}")
    return found


class PytestRerun(Rerun):
    """``pytest WRITER READER -p no:randomly --no-isolation -rA``."""

    def __init__(self, xdist: bool) -> None:
        self.xdist = xdist

    def command(self, tests: Sequence[str]) -> list[str]:
        options = ["-p", "no:randomly", "-p", "no:cacheprovider", "-rA", "-q"]
        options += ["-n", "0"] if self.xdist else []
        return [sys.executable, "-m", "pytest", *tests, *options, "--no-isolation"]

    def shown(self, tests: Sequence[str]) -> str:
        options = ["-p", "no:randomly", "-p", "no:isolatedtest"]
        return " ".join(["pytest", *tests, *options])

    def outcome(self, output: str, test: str) -> str | None:
        line = rf"^(PASSED|FAILED|ERROR|SKIPPED) {re.escape(test)}(?: |$)"
        found = re.search(line, output, re.M)
        return found[1] if found else None


def culprits(found: list[Dependency]) -> list[Culprit]:
    """Return each (reader, writer) pair the dependencies name, with their keys."""
    keys: dict[tuple[str, str], set[str]] = defaultdict(set)
    for dependency in found:
        for writer in dependency.writers:
            keys[dependency.reader, writer].add(dependency.key)
    return [
        Culprit(reader, writer, tuple(sorted(names)))
        for (reader, writer), names in sorted(keys.items())
    ]


def confirm(
    pairs: list[Culprit],
    rerun: Rerun,
    limit: int,
    workers: int,
    cwd: str,
    failed_here: Callable[[str], bool],
) -> tuple[list[Culprit], float]:
    """Rerun up to ``limit`` pairs, ``workers`` at a time; return them and the time.

    A reader that failed in this run is not checked (it tells nothing).
    """
    checked = [pair for pair in pairs if not failed_here(pair.reader)][:limit]

    def run(pair: Culprit) -> Culprit:
        tests = (pair.writer, pair.reader)
        command = rerun.command(tests)
        try:
            done = subprocess.run(
                command,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=RERUN_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            outcome = rerun.outcome(done.stdout + done.stderr, pair.reader) or "?"
        except subprocess.TimeoutExpired:
            outcome = "?"
        return Culprit(
            pair.reader,
            pair.writer,
            pair.keys,
            outcome,
            rerun.shown(tests),
            rerun.shown([pair.reader]),
        )

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        done = {(c.reader, c.writer): c for c in pool.map(run, checked)}
    elapsed = time.monotonic() - start
    return [done.get((pair.reader, pair.writer), pair) for pair in pairs], elapsed


def summary(
    pairs: list[Culprit], limit: int, elapsed: float, workers: int, verbosity: int
) -> str:
    """Return the lines naming the confirmed pairs, and what was not checked.

    Each confirmed pair is the command that reproduces it; with verbosity 2,
    also its keys and the command running the reader alone, which passes.
    """
    checked = [pair for pair in pairs if pair.outcome is not None]
    confirmed = [pair for pair in checked if pair.confirmed]
    lines = [
        f"isolatedtest: {len(confirmed)} of {len(checked)} dependencies checked "
        f"are confirmed ({len(checked)} reruns in {elapsed:.0f} s, {workers} at a "
        "time): the reader fails after its writer without isolation, and passed "
        "here. Each fails so:"
        if confirmed
        else f"isolatedtest: none of {len(checked)} dependencies checked is "
        f"confirmed ({len(checked)} reruns in {elapsed:.0f} s): no reader fails "
        "after its writer without isolation."
    ]
    for pair in confirmed:
        lines.append(f"  {pair.together}")
        if verbosity >= 2:
            keys = ", ".join(map(repr, pair.keys))
            lines.append(f"      reads {keys}; alone it passes: {pair.alone}")
    unchecked = [pair for pair in pairs if pair.outcome is None]
    if unchecked:
        why = f"over the limit of {limit}, or its reader failed here"
        shown = "; ".join(f"{p.reader} after {p.writer}" for p in unchecked[:3])
        more = f" and {len(unchecked) - 3} more" if len(unchecked) > 3 else ""
        lines.append(
            f"isolatedtest: {len(unchecked)} not checked ({why}): {shown}{more}."
        )
    return "\n".join(lines)
