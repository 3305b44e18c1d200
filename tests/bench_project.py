"""Generate synthetic Django projects for ``tests/benchmark.py``.

A project is a temp directory with ``manage.py``, a settings module (SQLite
in-memory, one LocMemCache alias) and an app ``benchapp`` whose test modules
hold ``n_tests`` generated tests, ``per_class`` to a class. Class kinds
cycle: a ``django.test.TestCase`` whose ``setUpTestData`` keeps class state
(attributes plus cache keys), two ``SimpleTestCase`` and one plain
``unittest.TestCase``.

Test bodies are as light as tests get. With ``keys=None`` (the "mixed"
suite) a third never touch the cache, and of the rest one in twenty writes
``MANY_KEYS`` keys and the others ``FEW_KEYS`` (plus one read). With
``keys=K`` every test writes exactly K keys. Key names repeat across tests
(as real tests write the same few keys), and MAX_ENTRIES is raised so that
LocMemCache's culling never runs: without isolation the cache would
otherwise fill up and cull, which would slow plain ``test`` down and flatter
isolatedtest.

With ``style="pytest"`` the same suite is written the pytest way, for
pytest-django (``pytest.ini`` names the settings): plain classes of
functions with bare ``assert``, the class state set by a class-scoped
fixture instead of ``setUpTestData``.

The app also ships ``benchapp.runner.ClearCacheRunner``, the common partial
fix: ``unittest.TestCase.tearDown`` patched to call ``cache.clear()``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

FEW_KEYS = 3
MANY_KEYS = 30
CLASS_STATE_KEYS = 5
TESTS_PER_MODULE = 100

SETTINGS = """\
SECRET_KEY = "benchmark-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["isolatedtest", "benchapp"]
DATABASES = {{
    "default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
}}
CACHES = {{
    "default": {{
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "bench",
        "OPTIONS": {{"MAX_ENTRIES": {max_entries}}},
    }}
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

RUNNER = '''\
"""The common partial fix: clear the default cache after every test."""

import unittest

from django.core.cache import cache
from django.test.runner import DiscoverRunner


def _clear_cache(self):
    cache.clear()


class ClearCacheRunner(DiscoverRunner):
    def setup_test_environment(self, **kwargs):
        super().setup_test_environment(**kwargs)
        unittest.TestCase.tearDown = _clear_cache
'''

PYTEST_INI = """\
[pytest]
DJANGO_SETTINGS_MODULE = benchproj.settings
python_files = test_*.py
addopts = -p no:cacheprovider -p no:randomly
"""

MODULE_HEAD = """\
import unittest

from django.core.cache import cache
from django.test import SimpleTestCase, TestCase

KEYS = [f"key:{{j}}" for j in range({max_keys})]
"""

BASES = ("TestCase", "SimpleTestCase", "SimpleTestCase", "unittest.TestCase")

PYTEST_MODULE_HEAD = f"""\
import pytest
from django.core.cache import cache

KEYS = [f"key:{{{{j}}}}" for j in range({{max_keys}})]


@pytest.fixture(scope="class")
def class_state():
    for j in range({CLASS_STATE_KEYS}):
        cache.set(f"class:{{{{j}}}}", j)
"""

SET_UP_TEST_DATA = f"""\
    @classmethod
    def setUpTestData(cls):
        cls.config = {{"name": cls.__name__, "items": [1, 2, 3]}}
        for j in range({CLASS_STATE_KEYS}):
            cache.set(f"class:{{j}}", j)
"""


@dataclass(frozen=True)
class Spec:
    """What to generate."""

    n_tests: int
    keys: int | None = None  # None: the mixed suite; K: every test writes K keys
    per_class: int = 10
    payload: int = 0  # bytes each test keeps on self (as tests keep fixtures)
    style: str = "unittest"  # or "pytest"
    memoized: int = 0  # memoized functions in the app, which no test calls

    @property
    def name(self) -> str:
        mix = "mixed" if self.keys is None else f"k{self.keys}"
        kept = f"-self{self.payload // 1000}k" if self.payload else ""
        style = "-pytest" if self.style == "pytest" else ""
        memoized = f"-memo{self.memoized}" if self.memoized else ""
        return f"n{self.n_tests}-{mix}{kept}{style}{memoized}"


def keys_of(spec: Spec, index: int) -> int:
    """Return how many keys test number ``index`` writes."""
    if spec.keys is not None:
        return spec.keys
    if index % 3 == 0:
        return 0
    return MANY_KEYS if index % 30 == 1 else FEW_KEYS


def _body(keys: int, style: str) -> str:
    if style == "pytest":
        equal, present = "        assert 1 + 1 == 2\n", "        assert cache.get"
        present += '("key:0") is not None\n'
    else:
        equal = "        self.assertEqual(1 + 1, 2)\n"
        present = '        self.assertIsNotNone(cache.get("key:0"))\n'
    if keys == 0:
        return equal
    if keys <= FEW_KEYS:
        lines = [f'        cache.set("key:{j}", {j})\n' for j in range(keys)]
        return "".join(lines) + present
    return (
        f"        for j, key in enumerate(KEYS[:{keys}]):\n"
        "            cache.set(key, j)\n" + present
    )


def _class(spec: Spec, number: int, first: int, count: int) -> str:
    base = BASES[number % len(BASES)]
    if spec.style == "pytest":
        mark = '@pytest.mark.usefixtures("class_state")\n' if base == "TestCase" else ""
        parts = [f"\n\n{mark}class TestGen{number:05d}:\n"]
    else:
        parts = [f"\n\nclass Gen{number:05d}({base}):\n"]
    if base == "TestCase" and spec.style != "pytest":
        parts.append(SET_UP_TEST_DATA)
    for index in range(first, first + count):
        kept = (
            f"        self.payload = bytearray({spec.payload})\n"
            if spec.payload
            else ""
        )
        parts.append(
            f"\n    def test_{index:05d}(self):\n{kept}"
            + _body(keys_of(spec, index), spec.style)
        )
    return "".join(parts)


def write_project(root: Path, spec: Spec) -> Path:
    """Write the project for ``spec`` under ``root``; return its directory."""
    project = root / spec.name
    tests_dir = project / "benchapp" / "tests"
    tests_dir.mkdir(parents=True)
    (project / "manage.py").write_text(MANAGE)
    (project / "benchproj").mkdir()
    (project / "benchproj" / "__init__.py").write_text("")
    max_keys = max(spec.keys or 0, MANY_KEYS)
    max_entries = 10 * (max_keys + CLASS_STATE_KEYS) + 1000
    (project / "benchproj" / "settings.py").write_text(
        SETTINGS.format(max_entries=max_entries)
    )
    (project / "benchapp" / "__init__.py").write_text("")
    (project / "benchapp" / "runner.py").write_text(RUNNER)
    (tests_dir / "__init__.py").write_text("")
    if spec.memoized:
        (project / "benchapp" / "lookups.py").write_text(
            "import functools\n"
            + "".join(
                f"\n\n@functools.cache\ndef lookup_{j}(key):\n    return key\n"
                for j in range(spec.memoized)
            )
        )
        (tests_dir / "__init__.py").write_text("from benchapp import lookups  # noqa\n")
    if spec.style == "pytest":
        (project / "pytest.ini").write_text(PYTEST_INI)
        head = PYTEST_MODULE_HEAD.format(max_keys=max_keys)
    else:
        head = MODULE_HEAD.format(max_keys=max_keys)
    number = 0
    for module_start in range(0, spec.n_tests, TESTS_PER_MODULE):
        module_end = min(module_start + TESTS_PER_MODULE, spec.n_tests)
        classes = []
        for first in range(module_start, module_end, spec.per_class):
            count = min(spec.per_class, module_end - first)
            classes.append(_class(spec, number, first, count))
            number += 1
        path = tests_dir / f"test_gen_{module_start // TESTS_PER_MODULE:04d}.py"
        path.write_text(head + "".join(classes))
    return project


def describe(spec: Spec) -> str:
    """Return one line saying what the generated suite contains."""
    writes = [keys_of(spec, i) for i in range(spec.n_tests)]
    touching = sum(1 for k in writes if k)
    classes = -(-spec.n_tests // spec.per_class)
    return textwrap.shorten(
        f"{spec.n_tests} tests in {classes} classes of {spec.per_class} "
        f"(1 in {len(BASES)} a TestCase with setUpTestData state: "
        f"{CLASS_STATE_KEYS} cache keys); {touching} tests write keys, "
        f"{sum(writes)} key writes in all"
        + (f"; each test keeps {spec.payload:,} bytes on self" if spec.payload else "")
        + (f"; {spec.memoized} memoized functions" if spec.memoized else ""),
        width=200,
    )
