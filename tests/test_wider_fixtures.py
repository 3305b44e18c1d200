"""A wider pytest fixture that deletes, clears or writes inside a test.

pytest sets a module's fixture up when a test first asks for it, which may be
in the middle of the test, after the test and its class wrote keys. Without
isolation the test then sees the key gone, the cache empty or the fixture's
values; with isolation it must see the same, on every backend ('widerfix'
project), and the verdicts are the same everywhere: what the fixture did is
the module's.
"""

import json

import pytest

BACKENDS = ["locmem", "redis", "django-redis", "pymemcache", "file"]
MODULE = "tests/test_wider.py"
VERDICTS = {
    ("test", f"{MODULE}::TestDelete::test_a_wider_fixtures_delete_is_seen_at_once"): {
        "own": "added"
    },
    ("test", f"{MODULE}::TestClear::test_a_wider_fixtures_clear_is_seen_at_once"): {
        "after": "added"
    },
    ("test", f"{MODULE}::TestWrite::test_a_wider_fixtures_writes_are_seen_at_once"): {
        "own": "added"
    },
    ("module", MODULE): {"flag": "added", "late": "added"},
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_wider_fixtures_changes_are_seen_at_once_and_are_its_own(
    run_pytest, server_cache, backend, tmp_path
):
    env = {} if backend == "locmem" else {"FIXTURE_CACHE": server_cache(backend)}
    plain = run_pytest("widerfix", "-p", "no:isolatedtest", env=env)
    assert plain.returncode == 0, plain.log
    report = tmp_path / "report.json"
    isolated = run_pytest("widerfix", f"--isolation-report={report}", env=env)
    assert isolated.returncode == 0, isolated.log
    found = {}
    for leak in json.loads(report.read_text())["leaks"]:
        entries = found.setdefault((leak["scope"], leak["name"]), {})
        entries.update(zip(leak["keys"], leak["changes"], strict=True))
    assert found == VERDICTS, isolated.log
