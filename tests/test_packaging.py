"""The distributions: built, installed into a fresh virtualenv, and run.

The wheel and the sdist are built (``python -m build``: the sdist, then the
wheel from the sdist) from a copy of the work tree, the wheel is installed
(not editable) into a new virtualenv with the Django version of this run,
and the demo shop's suite passes under that virtualenv's
``manage.py isolatedtest``, outside the work tree.

Slow-ish (isolated builds, a virtualenv, installs): it is marked
``packaging``, so it can be run on its own (``pytest -m packaging``) or left
out (``-m "not packaging"``); the normal run includes it. Without the
``build`` package the wheel is built with ``pip wheel --no-deps`` and the
sdist test is skipped (in CI, CI=true, it fails instead).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import django
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
TIMEOUT = 300  # seconds, for a build or an install

# Files the installed package must have, relative to site-packages.
PACKAGE_FILES = [
    "isolatedtest/__init__.py",
    "isolatedtest/py.typed",
    "isolatedtest/apps.py",
    "isolatedtest/management/__init__.py",
    "isolatedtest/management/commands/__init__.py",
    "isolatedtest/management/commands/isolatedtest.py",
]
# Not part of a distribution: caches, builds, environments, the VCS.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".nox",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "*.sqlite3",
)

pytestmark = pytest.mark.packaging  # registered in pyproject.toml


def clean_environment() -> dict[str, str]:
    """The caller's environment without anything that points into the work tree."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
        and not name.startswith(("DJANGO_", "ISOLATEDTEST_", "FIXTURE_"))
    }


def has_distribution(name: str) -> bool:
    # Not find_spec: a build/ directory in the current directory would do.
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def run(*command, cwd: Path) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=clean_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{' '.join(map(str, command))} -> exit {completed.returncode}\n"
        f"--- stdout ---\n{completed.stdout}\n--- stderr ---\n{completed.stderr}"
    )
    return completed


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path | None]:
    """{'wheel': path, 'sdist': path or None}, built from a copy of the work tree."""
    root = tmp_path_factory.mktemp("packaging")
    source = root / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = root / "dist"
    if has_distribution("build"):
        run(sys.executable, "-m", "build", "--outdir", out, source, cwd=root)
    else:
        run(
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-w",
            out,
            source,
            cwd=root,
        )
    wheels = list(out.glob("isolatedtest-*.whl"))
    sdists = list(out.glob("isolatedtest-*.tar.gz"))
    assert len(wheels) == 1, wheels
    assert len(sdists) <= 1, sdists
    return {"wheel": wheels[0], "sdist": sdists[0] if sdists else None}


@pytest.fixture(scope="module")
def venv_python(dists, tmp_path_factory) -> Path:
    """The python of a new virtualenv with the wheel (and this run's Django)."""
    root = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", root / "venv", cwd=root)
    python = root / "venv" / "bin" / "python"
    run(
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        dists["wheel"],
        f"django=={django.__version__}",
        cwd=root,
    )
    return python


def test_wheel_contains_the_package_data_and_the_command(dists):
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    missing = [name for name in PACKAGE_FILES if name not in names]
    assert not missing, sorted(names)
    assert not [name for name in names if name.startswith("tests/")], sorted(names)


def test_sdist_contains_the_sources_and_the_package_data(dists):
    if dists["sdist"] is None:
        message = "the build package is not installed (pip install build)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must build the sdist")
        pytest.skip(message)
    with tarfile.open(dists["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = ["pyproject.toml", "README.md", "LICENSE", *PACKAGE_FILES]
    missing = [name for name in expected if name not in names]
    assert not missing, sorted(names)


def test_installed_package_is_the_wheel_not_the_work_tree(venv_python, tmp_path):
    found = run(
        venv_python,
        "-c",
        "import pathlib, isolatedtest;"
        "print(pathlib.Path(isolatedtest.__file__).parent)",
        cwd=tmp_path,
    )
    package = Path(found.stdout.strip())
    assert package.parent.name == "site-packages", package
    assert venv_python.parent.parent in package.parents, package
    for name in PACKAGE_FILES:
        assert (package.parent / name).is_file(), name
    # Not an editable install: nothing on the path leads back to the work tree.
    paths = run(venv_python, "-c", "import sys; print(sys.path)", cwd=tmp_path)
    assert str(ROOT) not in paths.stdout, paths.stdout


def test_demo_passes_under_the_installed_isolatedtest(venv_python, tmp_path):
    demo = tmp_path / "demo"
    shutil.copytree(
        DEMO, demo, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3")
    )
    completed = run(venv_python, "manage.py", "isolatedtest", cwd=demo)
    # The demo's suite fails under plain `test` (tests/test_demo.py).
    assert re.search(r"^OK( \(.*\))?$", completed.stderr, re.M), completed.stderr
    summary = [
        line
        for line in completed.stderr.splitlines()
        if line.startswith("isolatedtest: ")
    ]
    assert len(summary) == 1, completed.stderr
