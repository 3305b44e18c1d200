"""Every option of a run, declared once: flags, pytest ini keys, environment.

Each front end adds the same options from ``OPTIONS`` (``manage.py
isolatedtest``'s flags, pytest's flags and ini keys) and reads them with
``resolve``: the command line wins over the environment, the environment over
the ini file, the ini file over the default. A value that cannot be used (a
yes/no variable set to something else, a report path that cannot be written)
stops the run before any test or database, naming where it came from.
(Django is imported only then: pytest loads the plugin in every run.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Option:
    """One option, by each of its names."""

    name: str  # Options' attribute
    command: str  # manage.py isolatedtest's flag
    pytest: str  # pytest's flag (pytest has its own --strict)
    ini: str  # pytest's ini key
    env: str  # environment variable
    metavar: str | None  # what the value is ("FILE", "NAMES"); None: a yes/no flag
    help: str

    @property
    def dest(self) -> str:
        """The argparse destination, and the runner's keyword argument."""
        return f"isolation_{self.name}"


OPTIONS = (
    Option(
        "strict",
        "--strict",
        "--isolation-strict",
        "isolation_strict",
        "ISOLATEDTEST_STRICT",
        None,
        "Fail each test (or class, module...) that leaves cache state behind.",
    ),
    Option(
        "report",
        "--leak-report",
        "--isolation-report",
        "isolation_report",
        "ISOLATEDTEST_LEAK_REPORT",
        "FILE",
        "Write every leak found to FILE as JSON.",
    ),
    Option(
        "baseline",
        "--leak-baseline",
        "--leak-baseline",
        "leak_baseline",
        "ISOLATEDTEST_LEAK_BASELINE",
        "BASELINE",
        "Under strict mode, let pass the leaks listed in BASELINE (a file "
        "--leak-report wrote), and list those that no longer leak.",
    ),
    Option(
        "no_isolation",
        "--no-isolation",
        "--no-isolation",
        "no_isolation",
        "ISOLATEDTEST_NO_ISOLATION",
        None,
        "Do not undo cache writes between tests; only find and report leaks, "
        "to see what isolation prevents.",
    ),
    Option(
        "dependencies",
        "--cache-dependencies",
        "--cache-dependencies",
        "cache_dependencies",
        "ISOLATEDTEST_DEPENDENCIES",
        None,
        "Name the tests that read cache state other tests leave behind.",
    ),
    Option(
        "confirm",
        "--confirm-dependencies",
        "--confirm-dependencies",
        "confirm_dependencies",
        "ISOLATEDTEST_CONFIRM",
        "N",
        "After the run, rerun up to N dependencies --cache-dependencies finds, each "
        "reader after its writer without isolation, and name those it fails.",
    ),
    Option(
        "graph",
        "--dependency-graph",
        "--dependency-graph",
        "dependency_graph",
        "ISOLATEDTEST_DEPENDENCY_GRAPH",
        "FILE",
        "Draw the dependencies in FILE, a self-contained HTML page.",
    ),
    Option(
        "off",
        "--isolation-off",
        "--isolation-off",
        "isolation_off",
        "ISOLATEDTEST_OFF",
        "NAMES",
        "Leave these caches outside the cache framework alone (comma-separated: "
        "sites, contenttypes, memoized, or a plugin's resource).",
    ),
)


@dataclass(frozen=True)
class Options:
    """How this run isolates and reports; ``sources``: where non-defaults came from."""

    strict: bool = False
    report: str | None = None
    baseline: str | None = None
    no_isolation: bool = False
    dependencies: bool = False
    confirm: int | None = None
    graph: str | None = None
    off: str | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def reset(self) -> bool:
        """Whether scopes' writes are undone (not --no-isolation)."""
        return not self.no_isolation


def add_arguments(parser) -> None:
    """Add the options to ``manage.py isolatedtest`` (an argparse parser)."""
    group = parser.add_argument_group("cache isolation (isolatedtest)")
    for option in OPTIONS:
        kwargs = _kwargs(option)
        env = option.env if option.metavar else f"{option.env}=1"
        group.add_argument(
            option.command,
            dest=option.dest,
            default=None,
            help=f"{option.help} (or set {env}).",
            **kwargs,
        )


def add_pytest_options(parser) -> None:
    """Add the options to pytest: flags and ini keys."""
    group = parser.getgroup("isolatedtest", "cache isolation (isolatedtest)")
    for option in OPTIONS:
        kwargs = _kwargs(option)
        group.addoption(
            option.pytest,
            dest=option.dest,
            default=None,
            help=f"{option.help} (ini: {option.ini}; env: {option.env}).",
            **kwargs,
        )
        parser.addini(
            option.ini,
            f"Like {option.pytest}.",
            type="string" if option.metavar else "bool",
        )


def _kwargs(option: Option) -> dict:
    if option.metavar:
        return {"metavar": option.metavar}
    return {"action": "store_true"}


def resolve(
    given: Mapping[str, object],
    ini: Callable[[Option], object] | None = None,
) -> Options:
    """Return the run's options: ``given`` (by dest), the environment, ``ini``.

    ``ini`` (pytest's) reads an option's ini key; the command has none.

    Raise ConfigurationError, naming the option and its source, for a value
    that cannot be used.
    """
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        flag = option.command if ini is None else option.pytest
        value, source = given.get(option.dest), flag
        if value is None and option.env in os.environ:
            raw = os.environ[option.env]
            value = raw or None if option.metavar else _flag(option.env, raw)
            source = f"{option.env}={raw!r}"
        if value is None and ini is not None:
            value, source = ini(option) or None, f"ini {option.ini}"
        if value is not None and value is not False:
            if option.metavar == "FILE":
                _check_writable(str(value), source)
            elif option.metavar == "BASELINE":
                _check_baseline(str(value), source)
            elif option.metavar == "N":
                value = _count(str(value), source)
            values[option.name] = value
            sources[option.name] = source
    if ("confirm" in values or "graph" in values) and "dependencies" not in values:
        values["dependencies"] = True  # what they confirm and draw
    return Options(**values, sources=sources)


def _count(value: str, source: str) -> int:
    from isolatedtest.conf import ConfigurationError

    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigurationError(
            f"{value!r} (from {source}) is not a number of dependencies to "
            "confirm: give a whole number, 1 or more."
        )
    return int(value)


def _flag(name: str, value: str) -> bool:
    from isolatedtest.conf import ConfigurationError

    cleaned = value.strip().lower()
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise ConfigurationError(
        f"{name}={value!r} is not a yes or no: use 1 or 0 "
        "(true/false, yes/no and on/off work too)."
    )


def _check_baseline(path: str, source: str) -> None:
    """Stop now, not after the run, if the baseline cannot be read."""
    from isolatedtest.baseline import Baseline
    from isolatedtest.conf import ConfigurationError

    try:
        Baseline.load(path)
    except ValueError as error:
        raise ConfigurationError(
            f"the leak baseline {path!r} (from {source}) cannot be used: {error}. "
            "Give a file --leak-report wrote."
        ) from None


def _check_writable(path: str, source: str) -> None:
    """Stop now, not after the run, if the report cannot be written there."""
    from isolatedtest.conf import ConfigurationError

    target = Path(path)
    if target.is_dir():
        problem = "is a directory"
    elif target.exists() and not os.access(target, os.W_OK):
        problem = "cannot be written"
    elif not target.parent.is_dir():
        problem = f"is in {str(target.parent)!r}, which is not a directory"
    elif not os.access(target.parent, os.W_OK):
        problem = f"is in {str(target.parent)!r}, which cannot be written"
    else:
        return
    raise ConfigurationError(
        f"the leak report {path!r} (from {source}) {problem}: give a file path "
        "in a directory that exists."
    )
