"""In-process timing of isolatedtest's hook, for ``tests/benchmark.py``.

Run as ``python tests/bench_inprocess.py PROJECT [--rounds R] [--target T]
[--refs] [--breakdown] [--profile]`` on a project written by
``bench_project``; prints one JSON object on stdout.

It builds the project's suite once with Django's DiscoverRunner, sets the
test databases up once, then times ``runner.run_suite(suite)`` again and
again (output to /dev/null, verbosity 0), rotating the order of:

- plain: ``DiscoverRunner``, what ``manage.py test`` runs;
- hook: the same runner composed with isolatedtest by
  ``isolatedtest.runner.isolated_runner``, what ``manage.py isolatedtest``
  runs (a fresh runner per run, as each command builds one; its start of
  run, its hook and its end-of-run summary are inside the timing);
- references (``--refs``), not isolatedtest code, to size what a design
  costs: a no-op ``addCleanup`` per test (the fixed price of ending each
  test with a cleanup), and a bare compare-and-restore of the LocMemCache
  dicts (no leak report, no exemptions) ended by ``addCleanup`` or by the
  result's ``stopTest``.

These runs are timed in CPU time (``time.process_time_ns``), which another
process on the machine disturbs less than elapsed time. Each round also
runs the hook once with its three entry points (``Hook.start_test`` and
the per-test and per-class cleanups) wrapped in ``perf_counter_ns`` timers:
the split. ``--breakdown`` then runs the hook once with every function and
method of isolatedtest's modules wrapped in an inclusive timer, and
``--profile`` once under cProfile.

Small suites run several times per sample, so that a sample lasts about T
seconds (at least one run). The test environment is set up and torn down
around each run, and all LocMemCache data cleared before it, outside the
timing.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import importlib
import inspect
import io
import json
import math
import os
import pkgutil
import pstats
import re
import statistics
import sys
import time
import unittest
from pathlib import Path

ENTRY_POINTS = {
    "start_test": "start_test",
    "end_test": "_end_test",
    "end_class": "_end_class",
}


def _keep_tests(suite) -> None:
    """Stop unittest from dropping each test after it ran, to rerun the suite."""
    suite._cleanup = False
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            _keep_tests(item)


def _iter_tests(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _iter_tests(item)
        else:
            yield item


def _clear_locmem() -> None:
    from django.core.cache.backends import locmem

    for name, data in locmem._caches.items():
        data.clear()
        locmem._expire_info[name].clear()


class Bench:
    """A project's suite, ready to be run by plain and isolating runners."""

    def __init__(self, project: Path) -> None:
        sys.path.insert(0, str(project))
        os.chdir(project)
        os.environ["DJANGO_SETTINGS_MODULE"] = "benchproj.settings"
        import django

        django.setup()
        from django.test.runner import DiscoverRunner

        from isolatedtest.runner import isolated_runner

        self.devnull = open(os.devnull, "w")  # noqa: SIM115
        devnull = self.devnull

        class QuietRunner(DiscoverRunner):
            """DiscoverRunner that writes to /dev/null; result class settable."""

            resultclass = None

            def get_resultclass(self):
                return self.resultclass or super().get_resultclass()

            def get_test_runner_kwargs(self):
                return {**super().get_test_runner_kwargs(), "stream": devnull}

        self.plain_class = QuietRunner
        self.isolated_class = isolated_runner(QuietRunner)
        setup = QuietRunner(verbosity=0, interactive=False)
        self.suite = setup.build_suite([])
        _keep_tests(self.suite)
        self.n_tests = self.suite.countTestCases()
        self.n_classes = len({type(test) for test in _iter_tests(self.suite)})
        setup.setup_test_environment()
        self.old_config = setup.setup_databases()
        setup.teardown_test_environment()
        self.setup = setup
        self.inner = 1  # runs per sample

    def close(self) -> None:
        self.setup.teardown_databases(self.old_config)
        self.devnull.close()

    def run(self, variant=None) -> int:
        """Run the suite ``inner`` times with ``variant``; return the total ns.

        ``variant`` is None (plain), "hook" (isolatedtest) or a RefHook class.
        """
        total = 0
        for _ in range(self.inner):
            if variant == "hook":
                runner = self.isolated_class(verbosity=0, interactive=False)
            else:
                runner = self.plain_class(verbosity=0, interactive=False)
                if variant is not None:
                    runner.resultclass = _ref_result_class(variant())
            runner.setup_test_environment()
            _clear_locmem()
            gc.collect()
            start = time.process_time_ns()
            result = runner.run_suite(self.suite)
            total += time.process_time_ns() - start
            runner.teardown_test_environment()
            if not result.wasSuccessful() or result.testsRun != self.n_tests:
                raise SystemExit(f"suite failed: {result} {result.errors[:1]}")
        return total

    def per_test_us(self, ns: int) -> float:
        return ns / 1000 / (self.n_tests * self.inner)


# --- Reference designs (not isolatedtest's code) -----------------------------


def _ref_result_class(hook):
    class RefResult(unittest.TextTestResult):
        def startTest(self, test):
            super().startTest(test)
            hook.start_test(test)

        def stopTest(self, test):
            hook.stop_test(test)
            super().stopTest(test)

    return RefResult


class RefHook:
    label = ""

    def start_test(self, test) -> None:
        pass

    def stop_test(self, test) -> None:
        pass


def _noop() -> None:
    pass


class NoopCleanup(RefHook):
    label = "a no-op addCleanup per test"

    def start_test(self, test) -> None:
        test.addCleanup(_noop)


class RestoreCleanup(RefHook):
    """Snapshot the LocMemCache dicts per class; compare, restore per test."""

    label = "bare compare-and-restore, ended by addCleanup"

    def __init__(self) -> None:
        from django.core.cache.backends import locmem

        self.caches = locmem._caches
        self.expiry = locmem._expire_info
        self._class = None
        self.saved: dict = {}

    def start_class(self, test) -> None:
        cls = type(test)
        if cls is not self._class:
            self._class = cls
            self.saved = {
                name: (dict(data), dict(self.expiry[name]))
                for name, data in self.caches.items()
            }

    def start_test(self, test) -> None:
        self.start_class(test)
        test.addCleanup(self.restore)

    def restore(self) -> None:
        for name, data in self.caches.items():
            saved_data, saved_expiry = self.saved.get(name, ({}, {}))
            if data != saved_data:
                data.clear()
                data.update(saved_data)
                expiry = self.expiry[name]
                expiry.clear()
                expiry.update(saved_expiry)


class RestoreStopTest(RestoreCleanup):
    label = "bare compare-and-restore, ended by result.stopTest"

    def start_test(self, test) -> None:
        self.start_class(test)

    def stop_test(self, test) -> None:
        self.restore()


REFS = (NoopCleanup, RestoreCleanup, RestoreStopTest)


# --- Timers ------------------------------------------------------------------


def _timer(function, counter: list[int]):
    clock = time.perf_counter_ns

    @functools.wraps(function)
    def timed(*args, **kwargs):
        start = clock()
        try:
            return function(*args, **kwargs)
        finally:
            counter[0] += clock() - start
            counter[1] += 1

    return timed


class Patched:
    """Wrap (owner, attribute) pairs in timers for the duration of a block."""

    def __init__(self, targets: dict[str, tuple[object, str]]) -> None:
        self.targets = targets
        self.counters = {label: [0, 0] for label in targets}
        self._originals: list = []

    def __enter__(self) -> Patched:
        for label, (owner, name) in self.targets.items():
            original = owner.__dict__[name]
            self._originals.append((owner, name, original))
            setattr(owner, name, _timer(original, self.counters[label]))
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, original in reversed(self._originals):
            setattr(owner, name, original)


def _entry_points() -> dict[str, tuple[object, str]]:
    from isolatedtest.result import Hook

    return {
        label: (Hook, name)
        for label, name in ENTRY_POINTS.items()
        if inspect.isfunction(Hook.__dict__.get(name))
    }


def _hot_path() -> dict[str, tuple[object, str]]:
    """Every function and method isolatedtest's run-time modules define."""
    import isolatedtest
    import isolatedtest.stores

    names = ["isolatedtest.result", "isolatedtest.isolation", "isolatedtest.report"]
    names.append("isolatedtest.stores")
    names += [
        f"isolatedtest.stores.{info.name}"
        for info in pkgutil.iter_modules(isolatedtest.stores.__path__)
    ]
    targets: dict[str, tuple[object, str]] = {}
    for module_name in names:
        module = importlib.import_module(module_name)
        short = module_name.removeprefix("isolatedtest.")
        for name, value in list(vars(module).items()):
            if getattr(value, "__module__", None) != module_name:
                continue
            if inspect.isfunction(value):
                targets[f"{short}.{name}"] = (module, name)
            elif inspect.isclass(value):
                for attr, member in list(vars(value).items()):
                    if not inspect.isfunction(member):
                        continue
                    dataclass_init = attr == "__init__" and hasattr(
                        value, "__dataclass_fields__"
                    )
                    if attr.startswith("__") and not dataclass_init:
                        continue
                    targets[f"{value.__qualname__}.{attr}"] = (value, attr)
    return targets


def _wrapper_overhead_ns() -> float:
    """Return what one timer wrapper adds to a call, in ns."""
    counter = [0, 0]
    timed = _timer(_noop, counter)
    calls = 200_000
    start = time.perf_counter_ns()
    for _ in range(calls):
        _noop()
    bare = time.perf_counter_ns() - start
    start = time.perf_counter_ns()
    for _ in range(calls):
        timed()
    return (time.perf_counter_ns() - start - bare) / calls


def breakdown(bench: Bench) -> dict:
    """Run the hook once with every hot-path function timed (inclusive)."""
    with Patched(_hot_path()) as patched:
        ns = bench.run("hook")
    runs = bench.inner
    tests = bench.n_tests * runs
    return {
        "us_per_test": bench.per_test_us(ns),
        "wrapper_overhead_ns": _wrapper_overhead_ns(),
        "functions": {
            label: {
                "calls_per_run": calls / runs,
                "us_per_call": total / 1000 / calls,
                "us_per_test": total / 1000 / tests,
            }
            for label, (total, calls) in patched.counters.items()
            if calls
        },
    }


def profile(bench: Bench, limit: int) -> str:
    """Return cProfile's view of one hook run, restricted to isolatedtest."""
    profiler = cProfile.Profile()
    profiler.enable()
    bench.run("hook")
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats("isolatedtest/", limit)
    stats.sort_stats("tottime").print_callees(r"isolatedtest/.*(_leak|_settle)")
    # Paths from the package on: the same whichever copy was imported.
    return re.sub(r"/\S*/(?=isolatedtest/)", "", out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--target", type=float, default=0.5)
    parser.add_argument("--refs", action="store_true")
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-limit", type=int, default=30)
    args = parser.parse_args()

    bench = Bench(args.project.resolve())
    variants = [None, "hook", *(REFS if args.refs else ())]
    # Warm up (imports, first-run caches) and size the samples.
    first = bench.run()
    bench.inner = max(1, math.ceil(args.target * 1e9 / first))
    bench.run("hook")
    samples: dict = {variant: [] for variant in variants}
    split: dict[str, list[float]] = {label: [] for label in ENTRY_POINTS}
    for round_ in range(args.rounds):
        # Rotate the order so that no variant always runs first or last.
        shift = round_ % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            samples[variant].append(bench.per_test_us(bench.run(variant)))
        with Patched(_entry_points()) as patched:
            bench.run("hook")
        for label, (total, _) in patched.counters.items():
            split[label].append(total / 1000 / (bench.n_tests * bench.inner))
    plain = samples[None]
    report = {
        "n_tests": bench.n_tests,
        "n_classes": bench.n_classes,
        "inner": bench.inner,
        "plain_us": plain,
        "hook_us": samples["hook"],
        "overhead_us": [h - p for p, h in zip(plain, samples["hook"], strict=True)],
        "split_us": {
            label: statistics.median(values) if values else None
            for label, values in split.items()
        },
        "refs": {
            ref.label: [r - p for p, r in zip(plain, samples[ref], strict=True)]
            for ref in variants[2:]
        },
    }
    if args.breakdown:
        report["breakdown"] = breakdown(bench)
    if args.profile:
        report["profile"] = profile(bench, args.profile_limit)
    bench.close()
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
