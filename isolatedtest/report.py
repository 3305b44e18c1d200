"""What a run's leaks look like to a person (summary) and to a program (JSON)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from isolatedtest import dependencies as graph
from isolatedtest.ledger import Ledger, Record, Tally
from isolatedtest.outcomes import (
    CHANGES,
    BadLocation,
    BrokenResource,
    Leak,
    Outcome,
    RawWrite,
    ResetFailure,
    Unsupported,
    counted,
)

REPORT_VERSION = 1
# Scopes in the summary, inner to outer (unittest's and pytest's).
SCOPE_ORDER = ("class", "module", "package", "directory", "session")


def describe(outcome: Outcome) -> str:
    """Return "alias 'x' (LocMemCache 'loc')" (or "SITE_CACHE") for messages."""
    if getattr(outcome, "kind", "cache") != "cache":
        return outcome.kind
    backend = outcome.backend.rsplit(".", 1)[-1]
    where = f"{backend} {outcome.location!r}"
    return f"alias {outcome.alias!r} ({where})" if outcome.alias else where


def failure_message(scope: str, leaks: list[Leak | RawWrite]) -> str:
    """Return the --strict failure message for a test's or class's leaks."""
    raw = [leak for leak in leaks if isinstance(leak, RawWrite)]
    leaks = [leak for leak in leaks if isinstance(leak, Leak)]
    parts = []
    changes = set()  # how the cache keys differ: "added", "changed", "deleted"
    for leak in leaks:
        kinds = iter(leak.changes)
        what = [f"{key!r} ({next(kinds, 'added')})" for key in leak.keys]
        if leak.kind == "cache":
            changes.update(leak.changes[: len(leak.keys)])
        if leak.kind != "cache" and not leak.keys:
            what.append("filled")  # a memoized function: its entries have no names
        if leak.attributes:
            names = ", ".join(
                f"{name!r} ({next(kinds, 'changed')})" for name in leak.attributes
            )
            what.append(f"{_noun(len(leak.attributes), 'attribute')} {names}")
        parts.append(f"{describe(leak)}: {', '.join(what)}")
    for write in raw:
        keys = ", ".join(map(repr, write.keys))
        parts.append(
            f"{describe(write)}: {keys} written through its raw client, which is "
            "NOT isolated"
        )
    advice = []
    if raw:
        advice.append("Write through the cache's own methods: they are isolated.")
    steps = []
    if "added" in changes:
        steps.append("delete the keys it added")
    if changes - {"added"}:
        steps.append(f"put back the keys it {' or '.join(sorted(changes - {'added'}))}")
    if steps:
        advice.append(
            f"{' and '.join(steps).capitalize()} before the {scope} ends, or, if "
            "they may persist, list them in ISOLATEDTEST['PERSISTENT_KEYS']."
        )
    if any(leak.kind != "cache" for leak in leaks):
        advice.append(
            f"isolatedtest puts these caches back (or empties a memoized function) "
            f"when the {scope} ends; to leave one alone, see ISOLATEDTEST['OFF'] "
            "and ISOLATEDTEST['MEMOIZED_EXCLUDE']."
        )
    if any(leak.attributes for leak in leaks):
        advice.append(
            f"Put the cache object's attributes back before the {scope} ends "
            "(mock.patch.object does)."
        )
    what = "left cache state behind" if leaks else "wrote to a cache"
    return f"isolatedtest: this {scope} {what}: {'; '.join(parts)}. " + " ".join(advice)


def not_isolated_message(item: Unsupported, strict_flag: str | None) -> str:
    """Return the warning for a backend, or the refusal of ``strict_flag``."""
    message = f"cache alias {item.alias!r} uses {item.backend}, {item.reason}"
    exclude = f"ISOLATEDTEST = {{'EXCLUDE_ALIASES': [{item.alias!r}]}}"
    if strict_flag:
        return (
            f"{message}; {strict_flag} refuses to run with it. Leave the alias "
            f"out with {exclude} or run without {strict_flag}."
        )
    return (
        f"isolatedtest: WARNING: {message}: {item.effect}. Silence this with {exclude}."
    )


def bad_location_message(item: BadLocation) -> str:
    """Return the warning for an alias whose tests cannot reach their server."""
    return (
        f"isolatedtest: WARNING: cache alias {item.alias!r} uses {item.backend} "
        f"with LOCATION {item.location!r}, which it cannot connect with: "
        f"{item.error}. Every test that uses this alias will fail; fix its LOCATION."
    )


def broken_resource_message(item: BrokenResource) -> str:
    """Return the warning for a plugin's resource that failed to load."""
    return (
        f"isolatedtest: WARNING: the resource {item.name!r} ({item.target}, entry "
        f"point group isolatedtest.resources) failed to load: {item.error}. What "
        f"it covers is NOT isolated; fix or uninstall its package, or leave it "
        f"out with ISOLATEDTEST = {{'OFF': [{item.name!r}]}}."
    )


def reset_failures(records: list[Record]) -> list[tuple[Record, int]]:
    """Return each failed reset once per alias and cause: (first record, count)."""
    found: dict[ResetFailure, list] = {}
    for record in records:
        if isinstance(record.outcome, ResetFailure):
            found.setdefault(record.outcome, [record, 0])[1] += 1
    return [(record, count) for record, count in found.values()]


def summary(
    ledger: Ledger,
    isolated: bool,
    verbosity: int,
    found: list[graph.Dependency] | None = None,
    more: str = "Run with -v 2 to list them, -v 3 for keys.",
    accepted=None,
) -> str:
    """Return the lines printed after the run; ``more`` says how to see more.

    ``found``: the dependencies, with --cache-dependencies.
    """
    records = ledger.records()
    leaks = [r for r in records if isinstance(r.outcome, Leak)]
    failures = reset_failures(records)
    if not isolated:
        fate = "it was NOT undone (--no-isolation)"
    elif any(record.outcome.alias for record, _ in failures):
        # A store's (not another resource's): what it could not delete,
        # later scopes still do not see.
        fate = "isolation hid it from later tests but could not delete all of it"
    else:
        fate = "isolation undid it"
    lines = [_leak_summary(ledger.tally, leaks, fate, verbosity, more, accepted)]
    if found is not None:
        # "Run with -v to list them, -vv for keys." -> "Run with -v to list them."
        listing = more.split(",")[0].rstrip(".") + "."
        lines.append(graph.summary(found, isolated, verbosity, listing))
    lines += _raw_writes(records, verbosity)
    for record, count in failures:
        again = f" (and {_count(count - 1, 'more time')})" if count > 1 else ""
        lines.append(
            f"isolatedtest: could not reset {describe(record.outcome)} after "
            f"{record.scope} {record.name}{again}: {record.outcome.error}"
        )
    return "\n".join(lines)


def _raw_writes(records: list[Record], verbosity: int) -> list[str]:
    """Say, per alias, which keys scopes wrote past isolation (a raw client)."""
    by_alias: dict[tuple, list[Record]] = {}
    for record in records:
        write = record.outcome
        if isinstance(write, RawWrite):
            by_alias.setdefault((write.alias, write.location), []).append(record)
    lines = []
    for found in by_alias.values():
        keys = sorted({key for record in found for key in record.outcome.keys})
        shown = ", ".join(map(repr, keys[:5])) + (", ..." if len(keys) > 5 else "")
        scopes = Counter(record.scope for record in found)
        who = _enumerate([_count(n, scope) for scope, n in scopes.items()])
        lines.append(
            f"isolatedtest: {who} wrote through the raw client of "
            f"{describe(found[0].outcome)}, which is NOT isolated: {shown}. "
            "Write through the cache's own methods: they are isolated."
        )
        if verbosity >= 2:
            for record in found:
                keys = ", ".join(map(repr, record.outcome.keys))
                lines.append(f"  raw write: {record.scope} {record.name}: {keys}")
    return lines


def _leak_summary(
    tally: Tally,
    records: list[Record],
    fate: str,
    verbosity: int,
    more: str,
    accepts=None,
) -> str:
    if not (tally.tests or tally.scopes):
        return "isolatedtest: no cache leaks."
    counts = [(tally.tests, "test")]
    counts += [(tally.scopes.get(kind, 0), kind) for kind in SCOPE_ORDER]
    counts += [(n, kind) for kind, n in tally.scopes.items() if kind not in SCOPE_ORDER]
    who = _enumerate([_count(n, noun) for n, noun in counts if n])
    what = " and ".join(
        part
        for part in (_count(tally.keys, "key"), _count(tally.attributes, "attribute"))
        if part
    )
    where = ", ".join(map(repr, sorted(tally.aliases)))
    lines = [
        f"isolatedtest: {who} left cache state behind "
        f"({f'{what} in ' if what else ''}{where}; {_kinds(tally.changes)}); {fate}."
    ]
    if verbosity < 2:
        lines[0] += f" {more}"
        return "\n".join(lines)
    for record in records:
        leak = record.outcome
        counts = (
            _count(len(leak.keys), "key"),
            _count(len(leak.attributes), "attribute"),
        )
        what = ", ".join(part for part in counts if part)
        what = f"{what} ({_kinds(counted(leak)[3])})" if what else "filled"
        mark = " [in the baseline]" if accepts and accepts(record) else ""
        lines.append(
            f"  leak: {record.scope} {record.name}: {describe(leak)}, {what}{mark}"
        )
        if verbosity >= 3:
            changes = iter(leak.changes)
            lines.extend(f"      {key} ({next(changes, '')})" for key in leak.keys)
            lines.extend(
                f"      attribute: {name} ({next(changes, '')})"
                for name in leak.attributes
            )
    return "\n".join(lines)


def baseline_lines(baseline, records: list[Record], accepted) -> str:
    """Say which leaks the baseline does not list, and what it lists in vain."""
    leaks = [r for r in records if isinstance(r.outcome, Leak)]
    new = [r for r in leaks if not accepted(r)]
    name = f"the baseline {baseline.path!r}"
    lines = []
    if new:
        shown = "; ".join(f"{r.scope} {r.name}" for r in new[:5])
        more = f" and {len(new) - 5} more" if len(new) > 5 else ""
        lines.append(f"isolatedtest: not in {name}: {shown}{more}.")
    elif leaks:
        lines.append(f"isolatedtest: every leak is in {name}.")
    stale = baseline.stale([(r.scope, r.name, r.outcome) for r in leaks])
    if stale:
        shown = "; ".join(
            f"{scope} {scope_name}: {where!r} {key!r}"
            for (scope, scope_name, where), key in stale[:5]
        )
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        lines.append(
            f"isolatedtest: {name} lists {_count(len(stale), 'key')} no longer "
            f"leaking: {shown}{more}. Rewrite it with --leak-report."
        )
    not_run = baseline.not_run()
    if not_run:
        more = f" and {len(not_run) - 5} more" if len(not_run) > 5 else ""
        lines.append(
            f"isolatedtest: {name} lists {_count(len(not_run), 'test')} that did "
            f"not run here, where others of their class did: "
            f"{'; '.join(not_run[:5])}{more}. If they no longer exist, rewrite it "
            "with --leak-report after a run of the whole suite."
        )
    return "\n".join(lines)


def _kinds(kinds: dict[str, int]) -> str:
    """Return "6 added, 1 changed, 1 deleted"."""
    return ", ".join(f"{kinds[kind]} {kind}" for kind in CHANGES if kinds.get(kind))


def _enumerate(parts: list[str]) -> str:
    """Return "a", "a and b", "a, b and c"."""
    return " and ".join(filter(None, [", ".join(parts[:-1]), parts[-1]]))


def _count(n: int, noun: str) -> str:
    return f"{n} {_noun(n, noun)}" if n else ""


def _noun(n: int, noun: str) -> str:
    if n == 1:
        return noun
    return f"{noun}es" if noun.endswith("s") else f"{noun}s"


def write_json(
    path: str,
    ledger: Ledger,
    isolated: bool,
    strict: bool,
    unsupported: list[Unsupported],
    found: list[graph.Dependency] | None = None,
    accepted=None,
    culprits: list[dict] | None = None,
) -> None:
    """Write the machine-readable report (format documented in the README)."""
    records = ledger.records()
    document = {
        "version": REPORT_VERSION,
        "isolation": isolated,
        "strict": strict,
        "not_isolated": [
            {"alias": item.alias, "backend": item.backend, "reason": item.reason}
            for item in unsupported
        ],
        "leaks": [
            {
                "scope": r.scope,
                "name": r.name,
                **asdict(r.outcome),
                **({"in_baseline": accepted(r)} if accepted else {}),
            }
            for r in records
            if isinstance(r.outcome, Leak)
        ],
        "raw_writes": [
            {"scope": r.scope, "name": r.name, **asdict(r.outcome)}
            for r in records
            if isinstance(r.outcome, RawWrite)
        ],
        "reset_failures": [
            {"scope": r.scope, "name": r.name, **asdict(r.outcome), "count": count}
            for r, count in reset_failures(records)
        ],
    }
    if found is not None:
        document["interference"] = graph.as_json(found)
    if culprits is not None:
        document["culprits"] = culprits
    Path(path).write_text(json.dumps(document, indent=2) + "\n")
