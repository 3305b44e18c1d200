"""The demo shop fails under `manage.py test` and passes under `isolatedtest`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

DEMO = Path(__file__).parent.parent / "demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Return ``run(*args, env=None) -> (exit code, stderr)`` in a copy of demo/."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(
        DEMO, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3")
    )

    def run(*args: str, env: dict | None = None) -> tuple[int, str]:
        completed = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=root,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return completed.returncode, completed.stderr

    return run


ORDERS = [[], ["--reverse"], ["--shuffle", "1"], ["--shuffle", "2"], ["--shuffle", "3"]]


@pytest.mark.parametrize(
    "order", ORDERS, ids=lambda order: " ".join(order) or "default"
)
def test_the_demo_fails_under_test_and_passes_under_isolatedtest(demo, order):
    code, output = demo("test", *order)
    assert code == 1 and "FAILED (failures=" in output, output
    code, output = demo("isolatedtest", *order)
    assert code == 0, output
    assert "Ran 22 tests" in output


def test_the_demo_passes_under_isolatedtest_with_parallel_workers(demo):
    code, output = demo("isolatedtest", "--parallel", "2")
    assert code == 0, output
    assert "16 tests and 1 class left cache state behind" in output


def test_the_demo_on_a_shared_redis_collides_only_under_plain_test(demo, redis_server):
    env = {
        "DEMO_CACHE_URL": f"redis://{redis_server.address}/3",
        "DEMO_KEY_PREFIX": f"demo-{uuid.uuid4().hex[:8]}",
    }
    code, output = demo("test", "--parallel", "2", env=env)
    assert code == 1 and "FAILED (failures=" in output, output
    code, output = demo("isolatedtest", "--parallel", "2", env=env)
    assert code == 0, output
