"""django-redis's own tests, plain and isolated: the outcomes must be the same.

django-redis's source distribution ships its test suite (``tests/``), run
with pytest; its ``conftest.py`` picks the settings module of each test's
variant (``settings/sqlite.py``, ``sqlite_herd.py``...) and configures Django
in the first test's fixture. This module fetches the sdist of the installed
django-redis, points every variant that needs only a Redis server (all but
two, see LEFT_OUT) at a server of the caller's, and runs them with pytest:
plainly (``-p no:isolatedtest``) or with isolatedtest's plugin, serially (one
variant per run: Django's settings are configured once per process) or on two
pytest-xdist workers (two variants per run: django-redis's scheduler keeps a
variant on one worker). Each test's outcome comes from a JUnit XML report.

``tests/test_conformance_redis.py`` runs it in the test suite; by hand:

    python tests/conformance_redis.py      # starts its own servers
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from conformance import differences, sdist

RUN_TIMEOUT = 900  # seconds, per pytest run
# Where django-redis's settings expect their server.
DEFAULT_ADDRESS = "127.0.0.1:6379"
DEFAULT_SOCKET = "/tmp/redis.sock"


@dataclass(frozen=True)
class Target:
    """The Redis server a run's settings point at."""

    address: str  # host:port
    socket: str  # unix socket path


def sdist_tests(release: str) -> Path:
    """Return django-redis ``release``'s sdist directory (fetched once)."""
    return sdist("django-redis", release, ("tests/", "pyproject.toml", "setup.cfg"))


# Left out: the Sentinel variants need Sentinel servers; gzip writes the time
# (in seconds) into every value it compresses, so a set member added in one
# second and removed in the next is another member, and that variant's set
# tests fail at random, plainly or isolated.
LEFT_OUT = ("sentinel", "gzip", "__init__")


def variants(source: Path) -> list[str]:
    """Return the settings variants that need only a Redis server, and are steady."""
    names = sorted(path.stem for path in (source / "tests" / "settings").glob("*.py"))
    return [name for name in names if not any(part in name for part in LEFT_OUT)]


def prepare(source: Path, directory: Path, target: Target) -> Path:
    """Copy the suite into ``directory``, its settings pointed at ``target``."""
    shutil.copytree(source, directory, dirs_exist_ok=True)
    for path in (directory / "tests" / "settings").glob("*.py"):
        text = path.read_text()
        text = text.replace(DEFAULT_ADDRESS, target.address)
        text = text.replace(DEFAULT_SOCKET, target.socket)
        path.write_text(text)
    return directory


def selection(group: list[str]) -> str:
    """Return a ``-k`` expression selecting the tests of the variants in ``group``."""
    return " or ".join(
        f"({name} and not {name}_)" if name == "sqlite" else name for name in group
    )


def start(
    suite: Path, group: list[str], isolated: bool, workers: int, report: Path
) -> subprocess.Popen:
    """Start one pytest run of the variants in ``group``."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests",
        "-o",
        "addopts=",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-k",
        selection(group),
        f"--junitxml={report}",
        "-q",
    ]
    if not isolated:
        command += ["-p", "no:isolatedtest"]
    if workers > 1:
        command += ["-n", str(workers)]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ISOLATEDTEST_", "DJANGO_"))
    }
    log = report.with_suffix(".txt").open("w")
    return subprocess.Popen(
        command, cwd=suite, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def outcomes(report: Path, group: list[str]) -> dict[str, str]:
    """Return {test id: outcome} from a JUnit XML report, for ``group``'s tests."""
    found = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        variant = re.search(r"\[(sqlite\w*)", name)
        if variant is None or variant.group(1) not in group:
            continue
        kinds = {child.tag for child in case}
        outcome = "ok"
        for kind in ("skipped", "failure", "error"):
            if kind in kinds:
                outcome = kind
        found[name] = outcome
    return found


def groups(names: list[str], workers: int) -> list[list[str]]:
    """Return the variants of each run: one when serial, as many as the workers."""
    return [names[i : i + workers] for i in range(0, len(names), workers)]


def run_chain(
    source: Path, work: Path, target: Target, isolated: bool, workers: int
) -> dict[str, str]:
    """Run every variant; return {test id: outcome}.

    The runs go at once: each variant keeps to Redis databases of its own.
    """
    suite = prepare(source, work / "suite", target)
    runs = []
    for index, group in enumerate(groups(variants(source), workers)):
        report = work / f"run-{index}.xml"
        runs.append((start(suite, group, isolated, workers, report), report, group))
    found: dict[str, str] = {}
    for process, report, group in runs:
        process.wait(RUN_TIMEOUT)
        if not report.is_file():
            log = report.with_suffix(".txt").read_text()
            raise RuntimeError(f"pytest wrote no report for {group}:\n{log}")
        found.update(outcomes(report, group))
    return found


def main(argv: list[str] | None = None) -> int:
    from servers import start_redis, stop

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    release = version("django-redis")
    source = sdist_tests(release)
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for isolated in (False, True):
            directory = Path(work) / ("isolated" if isolated else "plain")
            directory.mkdir()
            server = start_redis(directory, unix_socket=True)
            try:
                target = Target(server.address, server.socket)
                results[isolated] = run_chain(
                    source, directory, target, isolated, args.workers
                )
            finally:
                stop(server)
    differ = differences(results[False], results[True])
    print(
        f"django-redis {release}: {len(results[False])} tests plain, "
        f"{len(results[True])} isolated, {len(differ)} differ"
    )
    for name, (plain, isolated) in differ.items():
        print(f"  {name}: plain {plain}, isolated {isolated}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
