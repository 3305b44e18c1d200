"""One table of scenarios, one verdict per scope, on every store.

The 'shared' project's ``sharedapp.tests.test_scenarios`` runs on each
store (LocMem, Django's Redis, django-redis, both Memcached clients, files,
a table). Each test asserts what it sees; here, the report must give the
same verdicts everywhere: a leak is an entry whose value when its scope
ends differs from its value when the scope opened (added, changed,
deleted); a key put back as it was is none.
"""

from __future__ import annotations

import json

import pytest
from servers import ALL_BACKENDS

MODULE = "sharedapp.tests.test_scenarios"
SCENARIOS = 15  # classes
TESTS = 2 * SCENARIOS + 1  # test_a and test_z each; ExemptTests' test_b

VERDICTS = {
    ("test", "AddTests.test_a"): {"new-key": "added"},
    ("test", "AttributeAddedTests.test_a"): {"attribute scenario_flag": "added"},
    ("test", "ChangeTests.test_a"): {"class-key": "changed"},
    ("class", "ClassLeakTests"): {"class-leak": "added"},
    ("test", "ClearTests.test_a"): {
        "class-key": "deleted",
        "counter": "deleted",
        "module-key": "deleted",
    },
    ("test", "DeleteTests.test_a"): {"class-key": "deleted"},
    ("test", "ExpireTests.test_a"): {"class-key": "deleted"},
    ("test", "IncrTests.test_a"): {"counter": "changed"},
}
CULLING = {"locmem", "file", "db"}  # NearMaxEntriesTests runs on these


def store(backend: str, server_cache, tmp_path) -> dict:
    """The project's CACHES for ``backend``: "default", and "small" where it culls."""
    if backend == "locmem":
        locmem = "django.core.cache.backends.locmem.LocMemCache"
        default = {"BACKEND": locmem, "LOCATION": "scenarios"}
    else:
        default = server_cache(backend)
    small = {**default, "OPTIONS": {"MAX_ENTRIES": 3}}
    if backend == "locmem":
        small["LOCATION"] = "scenarios-small"
    elif backend == "file":
        small["LOCATION"] = str(tmp_path / "small")
    elif backend == "db":
        small["LOCATION"] = "isolatedtest_small"
    return (
        {"default": default, "small": small}
        if backend in CULLING
        else {"default": default}
    )


def verdicts(report: dict) -> dict:
    """{(scope, name without the module): {key or "attribute x": change}}."""
    found: dict = {}
    for leak in report["leaks"]:
        name = leak["name"].removeprefix(f"{MODULE}.")
        entries = found.setdefault((leak["scope"], name), {})
        names = [*leak["keys"], *(f"attribute {a}" for a in leak["attributes"])]
        entries.update(zip(names, leak["changes"], strict=True))
    return found


@pytest.mark.parametrize("backend", ["locmem", *ALL_BACKENDS])
def test_every_store_gives_the_same_observations_and_verdicts(
    manage, server_cache, tmp_path, backend
):
    caches = store(backend, server_cache, tmp_path)
    env = {"FIXTURE_CACHE": caches["default"], "FIXTURE_EXTRA_CACHES": caches}
    report = tmp_path / "report.json"
    run = manage(
        "shared", "isolatedtest", MODULE, "--leak-report", str(report), env=env
    )
    skipped = 0 if backend in CULLING else 2
    assert run.problems == {}, run.log
    # (Python 3.12+ does not count a skipped class's tests as run.)
    assert run.ran in (TESTS, TESTS - skipped), run.log
    assert run.outcome == (f"OK (skipped={skipped})" if skipped else "OK"), run.log
    assert verdicts(json.loads(report.read_text())) == VERDICTS, run.log


@pytest.mark.parametrize("backend", ["locmem", "redis", "file"])
def test_strict_fails_exactly_the_scopes_with_a_verdict(
    manage, server_cache, tmp_path, backend
):
    caches = store(backend, server_cache, tmp_path)
    env = {"FIXTURE_CACHE": caches["default"], "FIXTURE_EXTRA_CACHES": caches}
    run = manage("shared", "isolatedtest", MODULE, "--strict", env=env)
    expected = {
        f"{MODULE}.{name}" if scope == "test" else f"tearDownClass ({MODULE}.{name})"
        for scope, name in VERDICTS
    }
    assert set(run.problems) == expected, run.log
