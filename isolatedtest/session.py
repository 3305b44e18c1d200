"""One run's isolation, whichever front end drives it: engine, policy, reports.

The command's runner and the pytest plugin only turn their framework's
events into scope boundaries; what a run builds, fails and reports is here,
once.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from collections.abc import Callable

from django.core.management.base import CommandError

from isolatedtest.baseline import Baseline
from isolatedtest.conf import load_config
from isolatedtest.culprits import Rerun, confirm, culprits
from isolatedtest.culprits import summary as culprit_summary
from isolatedtest.dependencies import Dependency, dependencies
from isolatedtest.engine import Engine
from isolatedtest.graph import append_step_summary, edges, write_page
from isolatedtest.ledger import Ledger, Record, resolve
from isolatedtest.options import Options
from isolatedtest.outcomes import (
    BadLocation,
    BrokenResource,
    Leak,
    Outcome,
    RawWrite,
    Unsupported,
)
from isolatedtest.report import (
    bad_location_message,
    baseline_lines,
    broken_resource_message,
    failure_message,
    not_isolated_message,
    summary,
    write_json,
)
from isolatedtest.resources import build


class Session:
    """What one process of a run needs: its options, engine and ledger.

    ``verbosity`` is on unittest's scale (2 lists leaks, 3 their keys);
    ``hint`` says, in the front end's words, how to see more.
    """

    def __init__(self, options: Options, verbosity: int, hint: str) -> None:
        self.options = options
        self.verbosity = verbosity
        self.hint = hint
        self.baseline = Baseline.load(options.baseline) if options.baseline else None
        detailed = verbosity >= 2 or options.report or self.baseline
        self.ledger = Ledger(detailed=bool(detailed or options.dependencies))
        self.unsupported: list[Unsupported] = []
        self._found: list[Dependency] | None = None

    def build(
        self, run_id: str, strict_flag: str | None = None, off: tuple[str, ...] = ()
    ) -> Engine:
        """Build this process's engine, with the resources the options ask for.

        With ``strict_flag`` (the main process), name what cannot be
        isolated: a warning, or with --strict a CommandError. ``off``: what
        the front end leaves to its framework.
        """
        config = load_config()
        options = self.options
        off += config.off + tuple(
            name.strip() for name in (options.off or "").split(",") if name.strip()
        )
        resources, found = build(
            config, options.reset, run_id, options.dependencies, off
        )
        self.unsupported = [i for i in found if isinstance(i, Unsupported)]
        if strict_flag is not None:
            for item in found:
                if isinstance(item, BadLocation):
                    sys.stderr.write(bad_location_message(item) + "\n")
                    continue
                if isinstance(item, BrokenResource):
                    sys.stderr.write(broken_resource_message(item) + "\n")
                    continue
                if self.options.strict:
                    raise CommandError(not_isolated_message(item, strict_flag))
                sys.stderr.write(not_isolated_message(item, None) + "\n")
        return Engine(resources, options.reset)

    def found(self) -> list[Dependency] | None:
        """The run's dependencies (with --cache-dependencies), worked out once."""
        if not self.options.dependencies:
            return None
        if self._found is None:
            records = self.ledger.records()
            self._found = dependencies(records, self.options.reset)
        return self._found

    def export(self) -> dict:
        """Return what this process found, for another's ``absorb`` (xdist)."""
        unsupported = [dataclasses.asdict(item) for item in self.unsupported]
        return {"ledger": self.ledger.export(), "unsupported": unsupported}

    def absorb(self, exported: dict) -> None:
        """Add what a worker process found."""
        self.ledger.absorb(exported["ledger"])
        for item in exported["unsupported"]:
            if Unsupported(**item) not in self.unsupported:
                self.unsupported.append(Unsupported(**item))

    def end_run(self, engine: Engine) -> None:
        """End ``engine``'s run: what it still held is charged to the run."""
        self.ledger.append(("run", "", engine.end_run()))

    def failure(self, scope: str, name: str, outcomes: list[Outcome]) -> str | None:
        """Return the message a scope fails with under --strict, if it does.

        What the baseline lists is no failure.
        """
        if not self.options.strict:
            return None
        failing = [o for o in resolve(outcomes) if isinstance(o, (Leak, RawWrite))]
        if self.baseline is not None:
            failing = [
                rest
                for o in failing
                if (rest := self._not_in_baseline(scope, name, o)) is not None
            ]
        return failure_message(scope, failing) if failing else None

    def _not_in_baseline(self, scope: str, name: str, outcome):
        if isinstance(outcome, Leak):
            return self.baseline.rest(scope, name, outcome)
        return outcome

    def accepted(self, record: Record) -> bool:
        """Whether the baseline accepts all of a leak record."""
        baseline = self.baseline
        return baseline is not None and (
            baseline.rest(record.scope, record.name, record.outcome) is None
        )

    def finish(self, write: Callable[[str], None]) -> None:
        """Say what the run found (one line each)."""
        options = self.options
        if self.verbosity >= 2 and options.sources:
            given = ", ".join(
                f"{name.replace('_', '-')} from {source}"
                for name, source in options.sources.items()
            )
            write(f"isolatedtest: options: {given}.")
        write(
            summary(
                self.ledger,
                options.reset,
                self.verbosity,
                self.found(),
                self.hint,
                self.accepted if self.baseline else None,
            )
        )
        said = self.baseline and baseline_lines(
            self.baseline, self.ledger.records(), self.accepted
        )
        if said:
            write(said)

    def conclude(
        self,
        write: Callable[[str], None],
        rerun: Rerun | None = None,
        workers: int = 1,
        cwd: str = ".",
        failed_here: Callable[[str], bool] = lambda test: False,
    ) -> None:
        """Once the run's databases are gone: confirm, then write the files.

        ``rerun`` is the front end's way to rerun tests; ``workers``, how
        many reruns may go at once; ``failed_here``, whether a test failed.
        """
        options = self.options
        pairs = None
        if options.dependencies:
            pairs = culprits(self.found())
        if pairs and options.confirm and rerun is not None:
            workers = workers if _memory_databases() else 1
            pairs, elapsed = confirm(
                pairs, rerun, options.confirm, workers, cwd, failed_here
            )
            write(
                culprit_summary(
                    pairs, options.confirm, elapsed, workers, self.verbosity
                )
            )
        if pairs is not None:
            if options.graph:
                write_page(options.graph, pairs)
            append_step_summary(pairs)
        if options.report:
            self._write_report(write, pairs)

    def _write_report(self, write, pairs) -> None:
        options = self.options
        report = dict(
            ledger=self.ledger,
            isolated=options.reset,
            strict=options.strict,
            unsupported=self.unsupported,
            found=self.found(),
            accepted=self.accepted if self.baseline else None,
            culprits=edges(pairs) if pairs is not None else None,
        )
        try:
            write_json(options.report, **report)
        except OSError as error:
            fallback = tempfile.mkstemp(prefix="isolatedtest-", suffix=".json")[1]
            write_json(fallback, **report)
            write(
                f"isolatedtest: could not write the leak report to "
                f"{options.report!r} ({error.strerror or error}); it is in "
                f"{fallback!r} instead."
            )


def _memory_databases() -> bool:
    """Whether every test database is SQLite in memory: reruns then share none."""
    from django.db import connections

    for alias in connections:
        settings = connections.settings[alias]
        test_name = settings.get("TEST", {}).get("NAME")
        if "sqlite" not in settings["ENGINE"] or test_name not in (None, ":memory:"):
            return False
    return True
