"""Benchmark isolatedtest by the budgets it is held to (DESIGN.md, README).

Run on demand (pytest does not collect it), with the Python that has Django,
isolatedtest and (for ``instructions``) valgrind::

    python tests/benchmark.py                        # every section
    python tests/benchmark.py --sections instructions,memory --output bench.md

Sections, each a budget:

- ``instructions``: instructions per test, counted by valgrind's callgrind
  (repeatable, unlike seconds on a shared machine): the slope between the
  generated worst-case suites of 1,000 and 3,000 ultra-light tests
  (``bench_project``: two thirds write LocMem keys, one class in four keeps
  ``setUpTestData`` state) of ``test``, ``test`` with ``cache.clear()`` in
  ``tearDown`` (the usual advice), ``isolatedtest`` and ``isolatedtest
  --cache-dependencies``. Budgets: 1.05 of ``test`` (aim 1.03), 1.20 with
  ``--cache-dependencies``.
- ``memory``: peak RSS of the whole process on 10,000 worst-case tests, and
  on the same tests each keeping 100 KB on ``self`` (nothing of a test may
  outlive it); budget 1.05 of ``test``. The same runs give the test phase's
  time ("Ran N tests in X s"), serial and ``--parallel 2`` (secondary: the
  machine's noise is ±25%).
- ``servers``: ``bench_servers.py``: round trips per kind of test on Redis
  and Memcached (budget: +0 for a test that does not touch the cache, at
  most +2 otherwise), and the time per test with 1,000,000 unrelated keys on
  the server over that with none.
- ``pytest``: the worst case written the pytest way, ``pytest`` against
  ``pytest -p no:isolatedtest``, serial and on two xdist workers: session
  time and peak RSS.

Timed variants run ``--repeat`` times each, their order rotating from one
round to the next; tables give medians. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_project import Spec, describe, write_project

HERE = Path(__file__).parent
SECTIONS = ("instructions", "memory", "servers", "pytest")
SIZES = (1_000, 3_000)  # the two suites whose difference is the slope
WORST = 10_000
PAYLOAD = 100_000
CLEAR = ("test", "--testrunner", "benchapp.runner.ClearCacheRunner")
COUNTED = {
    "test": ("test",),
    "test, cache.clear() in tearDown": CLEAR,
    "isolatedtest": ("isolatedtest",),
    "isolatedtest --cache-dependencies": ("isolatedtest", "--cache-dependencies"),
}
TIMED = {
    "test": ("test",),
    "isolatedtest": ("isolatedtest",),
    "test --parallel 2": ("test", "--parallel", "2"),
    "isolatedtest --parallel 2": ("isolatedtest", "--parallel", "2"),
}
BUDGETS = {"isolatedtest": 1.05, "isolatedtest --cache-dependencies": 1.20}
MEMOIZED, MEMOIZED_BUDGET = 100, 1.02  # memoized functions no test calls
_RAN = re.compile(r"^Ran (\d+) tests? in ([\d.]+)s", re.M)
_PYTEST = re.compile(r" in ([\d.]+)s")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(command: list[str], cwd: Path) -> tuple[str, float]:
    """Run ``command``; return its output and its peak RSS in MiB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISOLATEDTEST_")}
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    if process.returncode not in (0, 1):  # 1: a suite's own failures
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{text}")
    return text, usage.ru_maxrss / 1024


def instructions(project: Path, args: tuple[str, ...]) -> int:
    """Instructions ``manage.py <args>`` executes, counted by callgrind."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        # A fixed hash seed: dicts and sets laid out alike from run to run.
        env = ["env", "PYTHONHASHSEED=0"]
        run([*env, *command, sys.executable, "manage.py", *args], project)
        found = re.search(r"^summary: (\d+)", out.read_text(), re.M)
    return int(found[1])


def section_instructions(work: Path) -> list[str]:
    if shutil.which("valgrind") is None:
        return ["### Instructions per test", "", "valgrind is not installed."]
    projects = {n: write_project(work, Spec(n_tests=n)) for n in SIZES}
    slopes = {}
    for label, args in COUNTED.items():
        counts = {n: instructions(projects[n], args) for n in SIZES}
        slopes[label] = (counts[SIZES[1]] - counts[SIZES[0]]) / (SIZES[1] - SIZES[0])
        log(f"instructions: {label}: {slopes[label]:,.0f} per test")
    memoized = {
        n: write_project(work, Spec(n_tests=n, memoized=MEMOIZED)) for n in SIZES
    }
    counts = {n: instructions(memoized[n], ("isolatedtest",)) for n in SIZES}
    with_memoized = (counts[SIZES[1]] - counts[SIZES[0]]) / (SIZES[1] - SIZES[0])
    log(f"instructions: isolatedtest, {MEMOIZED} memoized: {with_memoized:,.0f}")
    base = slopes["test"]
    memoized_ratio = with_memoized / slopes["isolatedtest"]
    rows = [
        (
            label,
            f"{slope:,.0f}",
            f"{slope / base:.3f}",
            _budget(slope / base, BUDGETS.get(label)),
        )
        for label, slope in slopes.items()
    ]
    return [
        "### Instructions per test (callgrind)",
        "",
        f"Slope between {SIZES[0]:,} and {SIZES[1]:,} generated tests "
        f"({describe(Spec(n_tests=SIZES[1]))}).",
        "",
        *_table(("command", "instructions per test", "/ test", "budget"), rows),
        "",
        f"`isolatedtest` with {MEMOIZED} memoized functions in the app that no "
        f"test calls: {with_memoized:,.0f} per test, "
        f"{memoized_ratio:.3f} of `isolatedtest` without them (budget "
        f"{_budget(memoized_ratio, MEMOIZED_BUDGET)}; Python "
        f"{sys.version_info[0]}.{sys.version_info[1]}).",
    ]


def _budget(ratio: float, budget: float | None) -> str:
    if budget is None:
        return "-"
    return f"{budget} ({'met' if ratio <= budget else '**not met**'})"


def rounds(variants: dict[str, list[str]], cwd: Path, repeat: int) -> dict:
    """Run each variant ``repeat`` times, rotating their order; {label: [samples]}."""
    samples: dict[str, list] = {label: [] for label in variants}
    labels = list(variants)
    for index in range(repeat):
        order = labels[index % len(labels) :] + labels[: index % len(labels)]
        for label in order:
            samples[label].append(run(variants[label], cwd))
    return samples


def section_memory(work: Path, repeat: int) -> list[str]:
    lines = ["### Peak memory and time, 10,000 tests", ""]
    rows = []
    for suite, payload in (("worst case", 0), ("100 KB on self", PAYLOAD)):
        spec = Spec(n_tests=WORST, payload=payload)
        project = write_project(work, spec)
        variants = {
            label: [sys.executable, "manage.py", *args] for label, args in TIMED.items()
        }
        samples = rounds(variants, project, repeat)
        for label, found in samples.items():
            phases = [float(_RAN.findall(text)[-1][1]) for text, _ in found]
            rss = statistics.median(peak for _, peak in found)
            rows.append((suite, label, rss, statistics.median(phases)))
        log(f"memory: payload {payload} done")
    base = {suite: (rss, phase) for suite, label, rss, phase in rows if label == "test"}
    parallel = {s: p for s, label, _, p in rows if label == "test --parallel 2"}
    table = []
    for suite, label, rss, phase in rows:
        ref = parallel[suite] if "parallel" in label else base[suite][1]
        table.append(
            (
                label,
                f"{rss:.0f} ({rss / base[suite][0]:.3f})",
                f"{phase:.2f} ({phase / ref:.3f})",
                suite,
            )
        )
    header = ("command", "peak RSS, MiB (/ test)", "test phase, s (/ plain)", "suite")
    return [*lines, *_table(header, table)]


def section_servers() -> list[str]:
    command = [sys.executable, str(HERE / "bench_servers.py")]
    data = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
    rows = []
    for label, servers in data["backends"].items():
        for kind, name in data["kinds"].items():
            if kind not in servers["empty"]["round_trips"]:
                continue
            own, isolated = servers["empty"]["round_trips"][kind]
            full = servers["full"]["round_trips"][kind][1] - own
            budget = 0 if kind == "none" else 2
            met = "met" if max(isolated - own, full) <= budget else "**not met**"
            rows.append((label, name, own, f"+{isolated - own}", f"+{full}", met))
        times = servers["full"]["us_per_test"] / servers["empty"]["us_per_test"]
        start = servers["full"]["run_start"]
        rows.append(
            (
                label,
                "a run's first command (1M keys: trips, ms); time per test 1M / 0",
                "",
                f"{start['trips']}, {start['ms']:.0f} ms",
                f"{times:.2f}",
                "",
            )
        )
    header = ("backend", "test", "own", "extra", "extra, 1M keys", "budget")
    return ["### Shared servers: round trips per test", "", *_table(header, rows)]


def section_pytest(work: Path, repeat: int) -> list[str]:
    project = write_project(work, Spec(n_tests=WORST, style="pytest"))
    pytest = [sys.executable, "-m", "pytest", "-q"]
    variants = {
        "pytest": pytest,
        "pytest -p no:isolatedtest": [*pytest, "-p", "no:isolatedtest"],
        "pytest -n 2": [*pytest, "-n", "2"],
        "pytest -p no:isolatedtest -n 2": [*pytest, "-p", "no:isolatedtest", "-n", "2"],
    }
    samples = rounds(variants, project, repeat)
    medians = {
        label: (
            statistics.median(float(_PYTEST.findall(text)[-1]) for text, _ in found),
            statistics.median(peak for _, peak in found),
        )
        for label, found in samples.items()
    }
    rows = []
    for label in ("pytest", "pytest -n 2"):
        plain = label.replace("pytest", "pytest -p no:isolatedtest", 1)
        (time_, rss), (plain_time, plain_rss) = medians[label], medians[plain]
        rows.append((label, f"{time_ / plain_time:.3f}", f"{rss / plain_rss:.3f}"))
    header = ("command / with -p no:isolatedtest", "session time", "peak RSS")
    return ["### pytest, 10,000 tests", "", *_table(header, rows)]


def _table(header, rows) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", help="also write the report to this file")
    args = parser.parse_args(argv)
    chosen = args.sections.split(",")
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    import django

    report = [
        f"## isolatedtest benchmark: python {' '.join(sys.argv)}",
        "",
        f"Python {sys.version.split()[0]}, Django {django.__version__}, "
        f"{os.cpu_count()} CPUs.",
        "",
    ]
    with tempfile.TemporaryDirectory() as work:
        for name in chosen:
            log(f"section {name}")
            where = Path(work) / name
            where.mkdir()
            if name == "instructions":
                report += section_instructions(where)
            elif name == "memory":
                report += section_memory(where, args.repeat)
            elif name == "servers":
                report += section_servers()
            else:
                report += section_pytest(where, args.repeat)
            report.append("")
    text = "\n".join(report)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
