"""Benchmark ``manage.py isolatedtest`` against ``test``, and the pytest plugin.

Run on demand (pytest does not collect it), with the Python that has Django
and isolatedtest installed::

    python tests/benchmark.py            # full run, ~25 minutes on 2 cores
    python tests/benchmark.py --quick    # smoke check, about 3.5 minutes
    python tests/benchmark.py --repeat 9 --output bench.md
    python tests/benchmark.py --git-ref HEAD   # isolatedtest as committed
    python tests/benchmark.py --sections servers   # Redis and Memcached only
    python tests/benchmark.py --sections pytest    # the pytest plugin only

It writes synthetic Django projects into a temp directory (``bench_project``:
SQLite in-memory, LocMemCache, N generated ultra-light tests) and measures:

1. the worst case, N = 10,000: ``test``, ``isolatedtest`` (also with
   ``--cache-dependencies``), ``test`` with the common partial fix
   (``cache.clear()`` patched into ``unittest.TestCase.tearDown``), and
   ``test`` / ``isolatedtest`` with ``--parallel 2``, all interleaved in the
   same rounds;
2. peak memory (the largest RSS of the process, from wait4): on the worst
   case, and on the same suite whose tests each keep 100 KB on ``self``
   (section ``memory``): nothing of a test may outlive it;
3. growth with N (100, 1,000, 10,000) and with the keys each test writes
   (0, 3, 30, 300), ``test`` against ``isolatedtest``;
4. the hook's own cost per test, in-process (``bench_inprocess``): the same
   suite run by Django's runner with and without isolatedtest composed in,
   plus timers on the hook's entry points and on every isolatedtest
   function (the breakdown), and with ``--profile`` a cProfile listing;
5. shared servers (``bench_servers``, section ``servers``, under ~3 minutes,
   ~30 s with ``--quick``): on a ``redis-server`` and a ``memcached`` it
   starts on free loopback ports (and an identical pair holding 1,000,000
   unrelated keys in the caches' own database), the engine is driven
   in-process around real cache operations for each of Django's
   RedisCache, django-redis, PyMemcacheCache (also with TCP_NODELAY) and
   PyLibMCCache (where importable): the round trips of four kinds of test,
   counted on the sockets, against the test's own; the first operation of
   a run; and the time per test of a test writing 3 keys, with and without
   isolation, on the empty and the full server, in rotating rounds;
6. the pytest plugin (section ``pytest``): the worst-case suite written the
   pytest way, ``pytest`` against ``pytest -p no:isolatedtest``, serial and
   with two pytest-xdist workers, with peak memory.

Every subprocess variant runs ``--repeat`` times; the order of the variants
rotates from one round to the next (A B C, B C A, ...), and the tables give
medians and each round's own (paired) ratios. "Test phase" is the time
unittest prints in "Ran N tests in X s"; "phase CPU" is the CPU time of that
phase, workers included, which the generated project prints; "wall" is the
whole process (start-up, test database, teardown). Output goes to a file, so
the dots unittest flushes per test cost little: a terminal or a pipe makes
every test slower and the ratios smaller, so this is the harsher case.

Another process may share the machine. Before each round the script waits
(within ``--max-wait`` for the whole run) until other processes use under a
quarter of the CPUs, records how much they used during each run (from
/proc/stat), and prints it; the CPU-time columns are the least disturbed.
Nothing here asserts on times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench_project import Spec, describe, write_project

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RAN = re.compile(r"^Ran (\d+) tests? in ([\d.]+)s$", re.MULTILINE)
PHASE_CPU = re.compile(r"^bench: test phase CPU ([\d.]+)s$", re.MULTILINE)
BUDGET = 1.05
SECTIONS = ("main", "memory", "growth", "keys", "hook", "servers", "pytest")
PROJECT_SECTIONS = {"main", "memory", "growth", "keys", "hook"}  # generate projects
PASSED = re.compile(r"^(\d+) passed in ([\d.]+)s", re.MULTILINE)
PAYLOAD = 100_000  # bytes each test of the memory suite keeps on self


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    main_n: int
    growth_n: tuple[int, ...]
    keys: tuple[int, ...]
    keys_n: int
    repeat: int
    rounds: int  # in-process rounds for the main project
    growth_rounds: int  # in-process rounds for the growth projects
    target: float  # in-process: seconds per timed sample (at least one run)
    max_wait: float  # seconds the whole run may wait for the machine to calm
    servers_tests: int  # servers: tests per variant per round
    servers_rounds: int  # servers: timed rounds
    servers_target: float  # servers: seconds a variant's round may last
    servers_unrelated: int  # servers: unrelated keys on the full servers


FULL = Plan(
    main_n=10_000,
    growth_n=(100, 1_000, 10_000),
    keys=(0, 3, 30, 300),
    keys_n=2_000,
    repeat=7,
    rounds=7,
    growth_rounds=5,
    target=0.5,
    max_wait=120,
    servers_tests=2_000,
    servers_rounds=9,
    servers_target=2.0,
    servers_unrelated=1_000_000,
)
QUICK = Plan(
    main_n=2_000,
    growth_n=(100, 2_000),
    keys=(0, 3, 30, 300),
    keys_n=200,
    repeat=3,
    rounds=3,
    growth_rounds=3,
    target=0.15,
    max_wait=15,
    servers_tests=300,
    servers_rounds=3,
    servers_target=0.5,
    servers_unrelated=200_000,
)


@dataclass(frozen=True)
class Variant:
    """One way of running a project's tests: ``manage.py`` or ``pytest``."""

    label: str
    args: tuple[str, ...]
    tool: str = "manage"


TEST = Variant("`test`", ("test",))
ISOLATED = Variant("`isolatedtest`", ("isolatedtest",))
CLEAR = Variant(
    "`test` + `cache.clear()` in tearDown",
    ("test", "--testrunner", "benchapp.runner.ClearCacheRunner"),
)
DEPENDENCIES = Variant(
    "`isolatedtest --cache-dependencies`", ("isolatedtest", "--cache-dependencies")
)
TEST_P2 = Variant("`test --parallel 2`", ("test", "--parallel", "2"))
ISOLATED_P2 = Variant(
    "`isolatedtest --parallel 2`", ("isolatedtest", "--parallel", "2")
)
PYTEST = Variant("`pytest -p no:isolatedtest`", ("-p", "no:isolatedtest"), "pytest")
PYTEST_ISOLATED = Variant("`pytest`", (), "pytest")
PYTEST_N2 = Variant(
    "`pytest -p no:isolatedtest -n 2`", ("-p", "no:isolatedtest", "-n", "2"), "pytest"
)
PYTEST_ISOLATED_N2 = Variant("`pytest -n 2`", ("-n", "2"), "pytest")


@dataclass(frozen=True)
class Sample:
    """One run of one variant."""

    phase: float  # s, from "Ran N tests in X s"
    phase_cpu: float  # s, CPU of the test phase (process and parallel workers)
    wall: float  # s, whole process
    cpu: float  # s, user + system of the process and its children
    others: float | None  # share of the machine's CPU other processes used
    peak_rss: float = 0.0  # MiB, the largest resident set of the process


class BenchError(RuntimeError):
    """A run failed or printed no "Ran N tests" line."""


class Machine:
    """The CPU time other processes take, from /proc/stat (Linux only)."""

    def __init__(self, max_wait: float, log) -> None:
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.max_wait = max_wait
        self.waited = 0.0
        self.log = log

    @staticmethod
    def stat() -> tuple[int, int] | None:
        """Return (busy, total) jiffies of all CPUs, or None if unknown."""
        try:
            with open("/proc/stat") as stat:
                values = [int(value) for value in stat.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    def others_since(self, before, own_cpu: float) -> float | None:
        """Share of all CPUs (0-1) used since ``before`` by others than us."""
        after = self.stat()
        if before is None or after is None or after[1] <= before[1]:
            return None
        busy = after[0] - before[0] - own_cpu * self.tick
        return max(0.0, busy / (after[1] - before[1]))

    def wait_quiet(self, threshold: float = 0.25, probe: float = 0.5) -> None:
        """Wait, within the run's budget, until others use < ``threshold``."""
        while self.waited < self.max_wait:
            before = self.stat()
            time.sleep(probe)
            others = self.others_since(before, 0.0)
            if others is None or others < threshold:
                return
            self.waited += probe
            self.log(f"  other processes use {others:.0%} of the CPUs: waiting")


class Runner:
    """Runs ``manage.py`` of generated projects in a controlled environment."""

    def __init__(
        self, workdir: Path, package: Path | None, machine: Machine, log
    ) -> None:
        self.env = dict(os.environ)
        # Compile each generated module once (in the warm-up run), and keep
        # every .pyc out of the work tree and site-packages.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
        self.env["PYTHONUNBUFFERED"] = "1"
        if package is not None:
            path = [str(package), self.env.get("PYTHONPATH", "")]
            self.env["PYTHONPATH"] = os.pathsep.join(filter(None, path))
        self.machine = machine
        self.log = log
        self.count = 0
        self.workdir = workdir

    def manage(self, project: Path, variant: Variant, n_tests: int) -> Sample:
        """Run ``variant`` once. For pytest, the "phase" is the session time
        pytest prints and its CPU the process's and its workers'."""
        if variant.tool == "pytest":
            command = [sys.executable, "-m", "pytest", "-q", *variant.args]
        else:
            command = [sys.executable, "manage.py", *variant.args, "--noinput"]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            before = self.machine.stat()
            start = time.perf_counter()
            process = subprocess.Popen(
                command, cwd=project, stdout=out, stderr=err, env=self.env
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            others = self.machine.others_since(before, cpu)
            err.seek(0)
            text = err.read().decode(errors="replace")
            if variant.tool == "pytest":
                out.seek(0)
                text = out.read().decode(errors="replace") + text
        if variant.tool == "pytest":
            match = PASSED.search(text)
            phase_cpu = ("", str(cpu))  # pytest has no test phase of its own
        else:
            match = RAN.search(text)
            phase_cpu = PHASE_CPU.search(text)
        if (
            process.returncode
            or match is None
            or phase_cpu is None
            or int(match[1]) != n_tests
        ):
            raise BenchError(
                f"{' '.join(command)} in {project} exited {process.returncode}; "
                f"expected 'Ran {n_tests} tests'. Its stderr ends with:\n"
                + text[-3000:]
            )
        self.count += 1
        peak = usage.ru_maxrss / 1024  # KiB on Linux
        return Sample(float(match[2]), float(phase_cpu[1]), wall, cpu, others, peak)

    def interleave(
        self, project: Path, n_tests: int, variants: Sequence[Variant], repeat: int
    ) -> dict[Variant, list[Sample]]:
        """Run every variant ``repeat`` times, rotating their order each round."""
        for variant in variants:  # warm up: .pyc files, disk cache
            self.manage(project, variant, n_tests)
        samples: dict[Variant, list[Sample]] = {variant: [] for variant in variants}
        for round_ in range(repeat):
            self.machine.wait_quiet()
            shift = round_ % len(variants)
            for variant in [*variants[shift:], *variants[:shift]]:
                sample = self.manage(project, variant, n_tests)
                samples[variant].append(sample)
                self.log(
                    f"  {project.name} round {round_ + 1}/{repeat} "
                    f"{variant.label}: phase {sample.phase:.3f} s, "
                    f"CPU {sample.phase_cpu:.3f} s, wall {sample.wall:.2f} s, "
                    f"peak RSS {sample.peak_rss:.0f} MiB" + _others(sample.others)
                )
        return samples

    def inprocess(self, project: Path, rounds: int, target: float, *extra: str) -> dict:
        command = [
            sys.executable,
            str(HERE / "bench_inprocess.py"),
            str(project),
            "--rounds",
            str(rounds),
            "--target",
            str(target),
            *extra,
        ]
        return self._json_script(command, f"in-process {project.name}")[0]

    def servers(self, plan: Plan) -> dict:
        """Run ``bench_servers`` (its progress goes to our stderr)."""
        command = [
            sys.executable,
            str(HERE / "bench_servers.py"),
            "--tests",
            str(plan.servers_tests),
            "--rounds",
            str(plan.servers_rounds),
            "--target",
            str(plan.servers_target),
            "--unrelated",
            str(plan.servers_unrelated),
            "--workdir",
            str(self.workdir),
        ]
        data, others = self._json_script(command, "servers", stderr=None)
        data["others"] = others
        return data

    def _json_script(
        self, command: list[str], label: str, stderr=subprocess.PIPE
    ) -> tuple[dict, float | None]:
        """Run a script that prints one JSON object; return it, and the
        share of the CPUs other processes used meanwhile."""
        self.machine.wait_quiet()
        before, own = self.machine.stat(), _children_cpu()
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=self.env,
            check=False,
        )
        others = self.machine.others_since(before, _children_cpu() - own)
        self.log(f"  {label} done" + _others(others))
        if done.returncode:
            output = done.stderr[-3000:] if done.stderr else "(its stderr is above)"
            raise BenchError(f"{' '.join(command)} failed:\n{output}")
        return json.loads(done.stdout), others


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _others(share: float | None) -> str:
    return "" if share is None else f", others used {share:.0%} of the CPUs"


# --- Statistics and formatting -----------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def phases(samples: list[Sample]) -> list[float]:
    return [s.phase for s in samples]


def paired(a: list[Sample], b: list[Sample], field: str = "phase") -> list[float]:
    """Each round's own ratio a/b (the runs of one round are neighbours)."""
    return [
        getattr(x, field) / getattr(y, field)
        for x, y in zip(a, b, strict=True)
        if getattr(y, field)
    ]


def ratio(a: list[Sample], b: list[Sample], field: str = "phase") -> float:
    top = median([getattr(s, field) for s in a])
    bottom = median([getattr(s, field) for s in b])
    return top / bottom if bottom else float("nan")


def spread(values: Sequence[float], digits: int = 3) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


def table(header: Sequence[str], rows: list[Sequence[object]]) -> list[str]:
    """Return a markdown table; numbers are right-aligned."""
    align = [
        "---:" if rows and _numeric(rows[0][i]) else "---" for i in range(len(header))
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _numeric(cell: object) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d.,]+( \[.*\])?%?|n/a", str(cell)))


def budget_mark(value: float) -> str:
    return "yes" if value <= BUDGET else "**no**"


# --- Sections ----------------------------------------------------------------


def main_section(samples: dict[Variant, list[Sample]], n_tests: int) -> list[str]:
    base = {
        TEST: TEST,
        ISOLATED: TEST,
        DEPENDENCIES: TEST,
        CLEAR: TEST,
        TEST_P2: TEST_P2,
        ISOLATED_P2: TEST_P2,
    }
    rows = []
    for variant, runs in samples.items():
        reference = samples[base[variant]]
        rows.append(
            (
                variant.label,
                f"{median(phases(runs)):.3f}",
                f"{median(phases(runs)) / n_tests * 1e6:.1f}",
                spread(phases(runs)),
                f"{median([s.phase_cpu for s in runs]):.3f}",
                f"{median([s.wall for s in runs]):.2f}",
                f"{ratio(runs, reference):.3f}",
                f"{ratio(runs, reference, 'phase_cpu'):.3f}",
                f"{ratio(runs, reference, 'wall'):.3f}",
            )
        )
    lines = table(
        (
            "variant",
            "test phase (s)",
            "us/test",
            "phase min-max (s)",
            "phase CPU (s)",
            "wall (s)",
            "phase ratio",
            "phase CPU ratio",
            "wall ratio",
        ),
        rows,
    )
    lines += [
        "",
        "Ratios are against `test` with the same `--parallel`. Phase CPU is the "
        "CPU time of the test phase, workers included.",
        "",
    ]
    comparisons = [
        ("`isolatedtest` / `test`, serial", ISOLATED, TEST, True),
        ("`isolatedtest` / `test`, `--parallel 2`", ISOLATED_P2, TEST_P2, True),
        ("`isolatedtest` / `test` + clear in tearDown", ISOLATED, CLEAR, False),
        ("`isolatedtest --cache-dependencies` / `test`", DEPENDENCIES, TEST, False),
        ("`test` + clear in tearDown / `test`", CLEAR, TEST, False),
    ]
    rows = []
    for label, a, b, budgeted in comparisons:
        if a not in samples or b not in samples:
            continue
        value = ratio(samples[a], samples[b])
        pairs = paired(samples[a], samples[b])
        rows.append(
            (
                label,
                f"{value:.3f}",
                f"{median(pairs):.3f} [{spread(pairs)}]",
                f"{ratio(samples[a], samples[b], 'phase_cpu'):.3f}",
                f"{ratio(samples[a], samples[b], 'wall'):.3f}",
                f"{budget_mark(value)} (aim 1.03)" if budgeted else "-",
            )
        )
    lines += table(
        (
            "comparison",
            "phase ratio (of medians)",
            "paired phase ratios: median [min-max]",
            "phase CPU ratio",
            "wall ratio",
            f"<= {BUDGET}",
        ),
        rows,
    )
    return lines


def pytest_section(samples: dict[Variant, list[Sample]], n_tests: int) -> list[str]:
    """The plugin against plain pytest, serial and with two xdist workers."""
    rows = []
    for label, a, b in (
        ("`pytest` / `pytest -p no:isolatedtest`, serial", PYTEST_ISOLATED, PYTEST),
        (
            "`pytest -n 2` / `pytest -p no:isolatedtest -n 2`",
            PYTEST_ISOLATED_N2,
            PYTEST_N2,
        ),
    ):
        pairs = paired(samples[a], samples[b])
        rows.append(
            (
                label,
                f"{median(phases(samples[b])) / n_tests * 1e6:.1f}",
                f"{median(phases(samples[a])) / n_tests * 1e6:.1f}",
                f"{ratio(samples[a], samples[b]):.3f}",
                f"{median(pairs):.3f} [{spread(pairs)}]",
                f"{ratio(samples[a], samples[b], 'cpu'):.3f}",
                f"{ratio(samples[a], samples[b], 'peak_rss'):.3f}",
            )
        )
    return table(
        (
            "comparison",
            "plain us/test",
            "isolated us/test",
            "session ratio (of medians)",
            "paired: median [min-max]",
            "CPU ratio",
            "peak RSS ratio",
        ),
        rows,
    )


def memory_section(suites: dict[str, dict[Variant, list[Sample]]]) -> list[str]:
    """Peak RSS of `test` and `isolatedtest` (serial) on each suite."""
    rows = []
    for name, samples in suites.items():
        plain, isolated = samples[TEST], samples[ISOLATED]
        rows.append(
            (
                name,
                f"{median([s.peak_rss for s in plain]):.0f}",
                f"{median([s.peak_rss for s in isolated]):.0f}",
                f"{ratio(isolated, plain, 'peak_rss'):.3f}",
                f"{ratio(isolated, plain):.3f}",
            )
        )
    return table(
        (
            "suite",
            "`test` peak RSS (MiB)",
            "`isolatedtest` peak RSS (MiB)",
            "RSS ratio",
            "phase ratio",
        ),
        rows,
    )


def hook_section(results: dict[str, dict]) -> list[str]:
    rows = []
    for name, data in results.items():
        split = data["split_us"]
        over = data["overhead_us"]
        rows.append(
            (
                name,
                f"{data['n_tests']:,}",
                f"{median(data['plain_us']):.1f}",
                f"{median(data['hook_us']):.1f}",
                f"{median(over):.2f} [{spread(over, 1)}]",
                f"{median(over) / median(data['plain_us']) * 100:.1f}%",
                *(
                    "n/a" if split[key] is None else f"{split[key]:.2f}"
                    for key in ("start_test", "end_test", "end_class")
                ),
            )
        )
    return table(
        (
            "suite",
            "tests",
            "plain us/test",
            "with isolatedtest us/test",
            "overhead us/test: median [min-max]",
            "overhead",
            "start_test us/test",
            "per-test cleanup us/test",
            "class cleanup us/test",
        ),
        rows,
    )


def refs_section(data: dict) -> list[str]:
    rows = [
        (
            "isolatedtest's hook (as above)",
            f"{median(data['overhead_us']):.2f} [{spread(data['overhead_us'], 1)}]",
        )
    ]
    for label, values in data["refs"].items():
        rows.append((label, f"{median(values):.2f} [{spread(values, 1)}]"))
    return table(("design (reference, not isolatedtest code)", "us/test"), rows)


def growth_n_section(plan: Plan, sub: dict, inproc: dict) -> list[str]:
    rows = []
    for n in plan.growth_n:
        samples = sub[Spec(n).name]
        hook = inproc.get(Spec(n).name)
        test, isolated = samples[TEST], samples[ISOLATED]
        rows.append(
            (
                f"{n:,}",
                f"{median(phases(test)):.3f}",
                f"{median(phases(isolated)):.3f}",
                f"{ratio(isolated, test):.3f}",
                f"{median(paired(isolated, test)):.3f}",
                f"{ratio(isolated, test, 'phase_cpu'):.3f}",
                f"{ratio(isolated, test, 'wall'):.3f}",
                _hook_cells(hook),
            )
        )
    return table(
        (
            "N",
            "`test` phase (s)",
            "`isolatedtest` phase (s)",
            "phase ratio",
            "paired ratio",
            "phase CPU ratio",
            "wall ratio",
            "hook us/test (in-process)",
        ),
        rows,
    )


def growth_keys_section(plan: Plan, sub: dict, inproc: dict) -> list[str]:
    rows = []
    for keys in plan.keys:
        name = Spec(plan.keys_n, keys=keys).name
        test, isolated = sub[name][TEST], sub[name][ISOLATED]
        hook = inproc.get(name)
        rows.append(
            (
                f"{keys}",
                f"{median(phases(test)) / plan.keys_n * 1e6:.1f}",
                f"{median(phases(isolated)) / plan.keys_n * 1e6:.1f}",
                f"{ratio(isolated, test):.3f}",
                f"{median(paired(isolated, test)):.3f}",
                f"{ratio(isolated, test, 'phase_cpu'):.3f}",
                _hook_cells(hook),
                "n/a"
                if not hook or hook["split_us"]["end_test"] is None
                else f"{hook['split_us']['end_test']:.2f}",
            )
        )
    return table(
        (
            "keys/test",
            "`test` us/test",
            "`isolatedtest` us/test",
            "phase ratio",
            "paired ratio",
            "phase CPU ratio",
            "hook us/test (in-process)",
            "per-test cleanup us/test",
        ),
        rows,
    )


def _hook_cells(hook: dict | None) -> str:
    if not hook:
        return "n/a"
    over = median(hook["overhead_us"])
    return f"{over:.2f} ({over / median(hook['plain_us']) * 100:.1f}%)"


def breakdown_section(data: dict) -> list[str]:
    functions = data["functions"]
    rows = [
        (
            label,
            f"{info['calls_per_run']:,.0f}",
            f"{info['us_per_call']:.2f}",
            f"{info['us_per_test']:.2f}",
        )
        for label, info in sorted(
            functions.items(), key=lambda item: -item[1]["us_per_test"]
        )
        if info["us_per_test"] >= 0.05
    ]
    lines = table(("function (inclusive)", "calls/run", "us/call", "us/test"), rows)
    lines += [
        "",
        f"Inclusive times with every isolatedtest function wrapped in a timer "
        f"(each wrapper adds ~{data['wrapper_overhead_ns']:.0f} ns to its call "
        f"and its callers; this run took {data['us_per_test']:.1f} us/test in "
        "all). Functions under 0.05 us/test are left out.",
    ]
    return lines


def servers_section(data: dict) -> list[str]:
    """The tables of ``bench_servers``'s results."""
    skipped = [f"{label} ({why})" for label, why in data["skipped"].items()]
    if not data["backends"]:
        return ["Nothing measured: " + "; ".join(skipped), ""]
    many = f"{data['unrelated']:,}"
    versions = ", ".join(f"{kind} {v}" for kind, v in sorted(data["servers"].items()))
    fills = "; ".join(
        f"{kind}: {fill['keys']:,} keys by {fill['how']} in {fill['seconds']:.1f} s"
        + (f", {fill['evictions']:,} evicted" if fill.get("evictions") else "")
        for kind, fill in sorted(data["fill"].items())
    )
    lines = [
        "### Shared servers: Redis and Memcached (in-process)",
        "",
        f"Servers started for this run on loopback ({versions}): for each kind "
        f"one left empty and one holding {many} unrelated keys in the database "
        f"the caches use ({fills}). The engine (`Isolation([SharedStore(...)])`, "
        "`RedisStore` on Redis) is driven in-process around real cache "
        "operations, one alias at a time, in a class scope.",
        "",
        "#### Round trips per test (counted)",
        "",
        *_round_trips_table(data),
        "",
        _round_trips_note(data),
        "",
        "#### First cache operation of a run",
        "",
        *_run_start_table(data),
        "",
        "Each instance had connected before, so no handshake is counted. On "
        "Redis, isolatedtest's first command in a process reads the server's key "
        "specifications and sweeps dead runs' keys (`SCAN MATCH` over the whole "
        "database, once per process and server).",
        "",
        f"#### Time per test: a test writing 3 keys, 0 vs {many} unrelated keys",
        "",
        "Wall time, us/test (the server's work included). Plain: "
        "the same three `cache.set` calls on an instance no engine adopted. "
        "Added and ratios: medians of each round's own values [min-max].",
        "",
        *_server_times_table(data, "wall_us"),
        "",
        "CPU time of the benchmark process, us/test (the server's work excluded):",
        "",
        *_server_times_table(data, "cpu_us"),
        "",
        _server_times_note(data),
        "",
    ]
    no_delay = [label for label, b in data["backends"].items() if b.get("options")]
    if no_delay:
        lines += [
            f"{', '.join(no_delay)}: the same backend with "
            + ", ".join(
                f"`OPTIONS={data['backends'][label]['options']}`" for label in no_delay
            )
            + " (TCP_NODELAY); Django's default OPTIONS for PyMemcacheCache leave "
            "Nagle's algorithm on.",
            "",
        ]
    if data.get("others") is not None:
        lines += [
            f"Other processes used {data['others']:.0%} of the CPUs during this "
            "section.",
            "",
        ]
    if skipped:
        lines += ["Not measured: " + "; ".join(skipped) + ".", ""]
    return lines


def _trips(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}-{high}"


def _round_trips_table(data: dict) -> list[str]:
    many = f"{data['unrelated']:,}"
    rows = []
    for label, backend in data["backends"].items():
        counts = backend["round_trips"]
        for kind, name in data["kinds"].items():
            if kind not in counts["own"]:
                continue  # not this backend's kind of test
            own = counts["own"][kind]
            extra = [i - o for i, o in zip(counts["empty"][kind], own, strict=True)]
            extra_full = [i - o for i, o in zip(counts["full"][kind], own, strict=True)]
            budget = data["budgets"][kind]
            if budget is None:
                met = "-"
            else:
                met = "yes" if max(*extra, *extra_full) <= budget else "**no**"
            rows.append(
                (
                    label,
                    name,
                    _trips(own),
                    _trips(counts["empty"][kind]),
                    _trips(extra),
                    _trips(extra_full),
                    "-" if budget is None else f"{budget}",
                    met,
                )
            )
    return table(
        (
            "backend",
            "test",
            "own round trips",
            "with isolation",
            "extra",
            f"extra, {many} unrelated keys",
            "extra budget",
            "within budget",
        ),
        rows,
    )


def _round_trips_note(data: dict) -> str:
    relayed = [
        label
        for label, backend in data["backends"].items()
        if backend["counted_with"] == "relay"
    ]
    note = (
        "Own: the test's operations on a plain instance of the same cache. Each "
        "switch from sending to receiving on a socket is one round trip "
        "(`socket.socket` wrapped, as in `tests/test_round_trips.py`); requests "
        "sent without waiting for a reply (memcached's noreply) are none. Each "
        f"count was taken {data['count_repeat']} times after a warm-up; a range "
        "means they differed."
    )
    if relayed:
        note += (
            f" {', '.join(relayed)} talks to the server from C: its round trips "
            "were counted by a relay in the benchmark process that counts the "
            "same way"
        )
        check = data.get("relay_check")
        if check:
            agree = check["sockets"] == check["relay"]
            note += f" (on {check['backend']}, relay and socket counts " + (
                "agree for every kind of test)." if agree else "**differ**)."
            )
        else:
            note += "."
    return note


def _run_start_table(data: dict) -> list[str]:
    rows = []
    for label, backend in data["backends"].items():
        for name, keys in (("empty", 0), ("full", data["unrelated"])):
            start = backend["run_start"][name]
            rows.append(
                (
                    label,
                    f"{keys:,}",
                    f"{start['plain_trips']:,}",
                    f"{start['trips']:,}",
                    f"{start['plain_ms']:.2f}",
                    f"{start['ms']:.2f}",
                )
            )
    return table(
        (
            "backend",
            "unrelated keys",
            "round trips, plain",
            "round trips, isolated",
            "ms, plain",
            "ms, isolated",
        ),
        rows,
    )


def _server_times_table(data: dict, field: str) -> list[str]:
    many = f"{data['unrelated']:,}"
    rows = []
    for label, backend in data["backends"].items():
        timing = backend["timing"]
        plain_0, plain_n = timing["plain|empty"][field], timing["plain|full"][field]
        iso_0, iso_n = timing["isolated|empty"][field], timing["isolated|full"][field]
        added_0 = [i - p for i, p in zip(iso_0, plain_0, strict=True)]
        added_n = [i - p for i, p in zip(iso_n, plain_n, strict=True)]
        growth = [n / z for n, z in zip(iso_n, iso_0, strict=True)]
        plain_growth = [n / z for n, z in zip(plain_n, plain_0, strict=True)]
        rows.append(
            (
                label,
                f"{median(plain_0):,.1f}",
                f"{median(plain_n):,.1f}",
                f"{median(iso_0):,.1f}",
                f"{median(iso_n):,.1f}",
                f"{median(added_0):,.1f} [{_span(added_0)}]",
                f"{median(added_n):,.1f} [{_span(added_n)}]",
                f"{median(iso_0) / median(plain_0):.2f}",
                f"{median(growth):.3f} [{spread(growth)}]",
                f"{median(plain_growth):.3f}",
            )
        )
    return table(
        (
            "backend",
            "plain, 0 keys",
            f"plain, {many} keys",
            "isolated, 0 keys",
            f"isolated, {many} keys",
            "added, 0 keys",
            f"added, {many} keys",
            "isolated/plain, 0 keys",
            f"isolated {many}/0",
            f"plain {many}/0",
        ),
        rows,
    )


def _span(values: Sequence[float]) -> str:
    return f"{min(values):,.1f}-{max(values):,.1f}"


def _server_times_note(data: dict) -> str:
    fewer = [
        f"{label} {variant.replace('|', ', ')}: {samples['tests']:,}"
        for label, backend in data["backends"].items()
        for variant, samples in backend["timing"].items()
        if samples["tests"] < data["tests"]
    ]
    note = (
        f"{data['rounds']} rounds; in each, {data['tests']:,} tests of each of "
        "the four variants (plain and isolated, on the empty and the full "
        "server), their order rotating from one round to the next"
    )
    if fewer:
        note += (
            f", except variants too slow for {data['target']:g} s a round, which "
            f"ran fewer tests a round ({'; '.join(fewer)})"
        )
    note += "."
    left = {
        label: backend["keys_left"]
        for label, backend in data["backends"].items()
        if "keys_left" in backend
    }
    if left:
        total = sum(sum(found.values()) for found in left.values())
        note += (
            " Keys left under isolatedtest's mark on the Redis servers after the "
            f"runs ended: {total}."
        )
    return note


def _others_summary(sub: dict, machine: Machine) -> str:
    shares = [
        sample.others
        for samples in sub.values()
        for runs in samples.values()
        for sample in runs
        if sample.others is not None
    ]
    waited = f"{machine.waited:.0f} s spent waiting for quiet before rounds"
    if not shares:
        return waited
    return (
        f"other processes used {median(shares):.0%} of the CPUs during a median "
        f"subprocess run ({max(shares):.0%} at most); {waited}"
    )


# --- Orchestration -----------------------------------------------------------


def environment(runner: Runner, revision: str) -> list[str]:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, isolatedtest; "
            "print(django.get_version(), isolatedtest.__version__, "
            "isolatedtest.__file__)",
        ],
        capture_output=True,
        text=True,
        env=runner.env,
        cwd=runner.workdir,  # not the work tree, which would shadow PYTHONPATH
        check=True,
    ).stdout.split()
    django_version, version, path = probe[0], probe[1], probe[2]
    where = Path(path).parent
    if where.is_relative_to(runner.workdir):
        where = Path("<tmp>", where.relative_to(runner.workdir))
    return [
        f"- isolatedtest {version} at {revision}, imported from `{where}`",
        f"- Python {platform.python_version()}, Django {django_version}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    ]


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def export_package(commit: str, workdir: Path) -> Path:
    """Write isolatedtest as of ``commit`` under ``workdir``; return the dir."""
    target = workdir / "package"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "isolatedtest"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring for what is measured and how.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke check: small suites, few runs"
    )
    parser.add_argument(
        "--repeat", type=int, help="runs of each subprocess variant (full: 7)"
    )
    parser.add_argument(
        "--rounds", type=int, help="in-process rounds for the main suite (full: 7)"
    )
    parser.add_argument(
        "-n", "--tests", type=int, help="tests in the main suite (full: 10000)"
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--git-ref",
        metavar="REF",
        help="benchmark isolatedtest as committed at REF (git archive), not "
        "the work tree",
    )
    parser.add_argument(
        "--profile", action="store_true", help="add a cProfile listing of the hook"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        metavar="SECONDS",
        help="how long the whole run may wait, before rounds, for other "
        "processes to leave the CPUs (full: 120, quick: 15; 0: never wait)",
    )
    parser.add_argument("--output", metavar="FILE", help="also write the report here")
    parser.add_argument("--json", metavar="FILE", help="write the raw samples here")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated projects"
    )
    args = parser.parse_args(argv)
    unknown = set(args.sections.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(
            f"unknown section(s) {', '.join(sorted(unknown))}; "
            f"choose from {','.join(SECTIONS)}"
        )
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def make_plan(args: argparse.Namespace) -> Plan:
    plan = QUICK if args.quick else FULL
    main_n = args.tests or plan.main_n
    growth_n = tuple(sorted({*(n for n in plan.growth_n if n != plan.main_n), main_n}))
    return Plan(
        main_n=main_n,
        growth_n=growth_n,
        keys=plan.keys,
        keys_n=plan.keys_n,
        repeat=args.repeat or plan.repeat,
        rounds=args.rounds or plan.rounds,
        growth_rounds=min(plan.growth_rounds, args.rounds or plan.growth_rounds),
        target=plan.target,
        max_wait=plan.max_wait if args.max_wait is None else args.max_wait,
        servers_tests=plan.servers_tests,
        servers_rounds=plan.servers_rounds,
        servers_target=plan.servers_target,
        servers_unrelated=plan.servers_unrelated,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    plan = make_plan(args)
    sections = set(args.sections.split(","))
    started = time.perf_counter()

    def log(message: str) -> None:
        elapsed = time.perf_counter() - started
        print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)

    if args.git_ref:
        commit = _git("rev-parse", "--verify", f"{args.git_ref}^{{commit}}")
        revision = f"{commit[:10]} ({args.git_ref}, exported)"
    else:
        revision = f"{_git('describe', '--always', '--dirty')} (work tree)"
        commit = ""
    workdir = Path(tempfile.mkdtemp(prefix="isolatedtest-bench-"))
    try:
        package = export_package(commit, workdir) if args.git_ref else None
        runner = Runner(workdir, package, Machine(plan.max_wait, log), log)
        report = run(plan, sections, runner, revision, args, log)
    finally:
        if args.keep:
            log(f"generated projects kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    text = "\n".join(report) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text(text)
    log(f"done: {runner.count} subprocess runs")
    return 0


def run(
    plan: Plan, sections: set[str], runner: Runner, revision: str, args, log
) -> list[str]:
    workdir = runner.workdir
    load_start = os.getloadavg()
    main_spec = Spec(plan.main_n)
    payload_spec = Spec(plan.main_n, payload=PAYLOAD)
    specs = {main_spec.name: main_spec} if sections & PROJECT_SECTIONS else {}
    if "memory" in sections:
        specs[payload_spec.name] = payload_spec
    if "growth" in sections:
        specs.update({Spec(n).name: Spec(n) for n in plan.growth_n})
    if "keys" in sections:
        specs.update(
            {
                Spec(plan.keys_n, keys=k).name: Spec(plan.keys_n, keys=k)
                for k in plan.keys
            }
        )
    projects = {name: write_project(workdir, spec) for name, spec in specs.items()}
    if projects:
        log(f"generated {len(projects)} projects in {workdir}")
    raw: dict = {"plan": plan.__dict__, "subprocess": {}, "inprocess": {}}
    sub: dict[str, dict[Variant, list[Sample]]] = {}

    if "main" in sections:
        variants = (TEST, ISOLATED, DEPENDENCIES, CLEAR, TEST_P2, ISOLATED_P2)
        log(f"main: {plan.main_n} tests, {len(variants)} variants x {plan.repeat} runs")
        sub[main_spec.name] = runner.interleave(
            projects[main_spec.name], plan.main_n, variants, plan.repeat
        )
    for name, spec in specs.items():
        if name in sub:
            continue
        log(f"{name}: `test` and `isolatedtest` x {plan.repeat} runs")
        sub[name] = runner.interleave(
            projects[name], spec.n_tests, (TEST, ISOLATED), plan.repeat
        )

    inproc: dict[str, dict] = {}
    if "hook" in sections:
        extra = ["--refs", "--breakdown"] + (["--profile"] if args.profile else [])
        log(f"in-process: {main_spec.name}, {plan.rounds} rounds")
        inproc[main_spec.name] = runner.inprocess(
            projects[main_spec.name], plan.rounds, plan.target, *extra
        )
        for name in specs:
            if name not in (main_spec.name, payload_spec.name):
                log(f"in-process: {name}, {plan.growth_rounds} rounds")
                inproc[name] = runner.inprocess(
                    projects[name], plan.growth_rounds, plan.target
                )
    if "pytest" in sections:
        pytest_spec = Spec(plan.main_n, style="pytest")
        variants = (PYTEST, PYTEST_ISOLATED, PYTEST_N2, PYTEST_ISOLATED_N2)
        log(f"pytest: {plan.main_n} tests, {len(variants)} variants x {plan.repeat}")
        sub["pytest"] = runner.interleave(
            write_project(workdir, pytest_spec), plan.main_n, variants, plan.repeat
        )
    if "servers" in sections:
        log(
            f"servers: Redis and Memcached, {plan.servers_rounds} rounds of "
            f"{plan.servers_tests:,} tests, {plan.servers_unrelated:,} unrelated keys"
        )
        raw["servers"] = runner.servers(plan)
    load_end = os.getloadavg()

    for name, samples in sub.items():
        raw["subprocess"][name] = {
            variant.label: [s.__dict__ for s in runs]
            for variant, runs in samples.items()
        }
    raw["inprocess"] = inproc
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1) + "\n")

    mode = "quick" if args.quick else "full"
    lines = [
        f"## isolatedtest benchmark ({mode} run)",
        "",
        *environment(runner, revision),
        "- the machine may be shared: every figure is a median of interleaved "
        + (
            f"runs ({plan.repeat} per subprocess variant, order rotated each "
            f"round; {plan.rounds} in-process rounds)"
            if projects
            else "rounds"
        )
        + f". Load average (1 min) "
        f"{load_start[0]:.2f} at start, {load_end[0]:.2f} at end; "
        + _others_summary(sub, runner.machine),
        *([f"- main suite: {describe(main_spec)}"] if projects else []),
        f"- command: `{shlex.join(['python', 'tests/benchmark.py', *args.argv])}`",
        "",
    ]
    if "main" in sections:
        lines += [
            f"### Worst case: {plan.main_n:,} ultra-light tests",
            "",
            *main_section(sub[main_spec.name], plan.main_n),
            "",
        ]
    if "pytest" in sections:
        lines += [
            f"### pytest: the same {plan.main_n:,} tests, written the pytest way",
            "",
            "Session time as pytest prints it (collection included); CPU of the "
            "process and its workers; peak RSS of the main process.",
            "",
            *pytest_section(sub["pytest"], plan.main_n),
            "",
        ]
    if "memory" in sections:
        suites = {
            name: sub[name]
            for name in (main_spec.name, payload_spec.name)
            if name in sub
        }
        lines += [
            "### Peak memory",
            "",
            f"The worst case, and the same suite with {PAYLOAD:,} bytes kept on "
            "`self` by every test (nothing of a test may outlive it).",
            "",
            *memory_section(suites),
            "",
        ]
    if "hook" in sections:
        lines += [
            "### Hook cost per test (in-process)",
            "",
            "The same suite run by Django's DiscoverRunner, and by it composed "
            "with isolatedtest (`isolated_runner`), in one process, alternating; "
            "output to /dev/null, verbosity 0. The split columns come from "
            "timers on `Hook.start_test` and on the per-test and per-class "
            "cleanups it registers.",
            "",
            *hook_section(inproc),
            "",
            "What other designs cost on the main suite, measured in the same "
            "rounds (overhead over plain, us/test):",
            "",
            *refs_section(inproc[main_spec.name]),
            "",
        ]
    if "growth" in sections:
        lines += [
            "### Growth with N (mixed suite)",
            "",
            *growth_n_section(plan, sub, inproc),
            "",
            "For small N the test phase is a few ms, printed to 1 ms: trust the "
            "in-process column there.",
            "",
        ]
    if "keys" in sections:
        lines += [
            f"### Growth with keys written per test ({plan.keys_n:,} tests, "
            "every test writing the same number of keys)",
            "",
            *growth_keys_section(plan, sub, inproc),
            "",
        ]
    if "hook" in sections:
        lines += [
            "### Where the hook's time goes (main suite, in-process)",
            "",
            *breakdown_section(inproc[main_spec.name]["breakdown"]),
            "",
        ]
        if args.profile:
            lines += [
                "### cProfile of one run with isolatedtest (main suite)",
                "",
                "```",
                inproc[main_spec.name]["profile"].rstrip(),
                "```",
                "",
            ]
    if "servers" in sections:
        lines += servers_section(raw["servers"])
    return lines


if __name__ == "__main__":
    sys.exit(main())
