"""Mistakes in the settings meet one clear line, early, naming what is wrong.

Real ``manage.py isolatedtest`` and ``pytest`` runs of the fixture projects.
"""

from __future__ import annotations

LABEL = "basicapp.tests.test_options.OptionTests.test_plain"
MISSING = "basicapp.no_such_module.Cache"
IMPORT_ERROR = (
    f"CACHES['broken']['BACKEND'] = {MISSING!r} does not import: No module named "
    "'basicapp.no_such_module'. Fix the dotted path or install its package."
)


def test_a_backend_that_does_not_import_stops_the_run_before_the_database(manage):
    env = {"FIXTURE_EXTRA_CACHES": {"broken": {"BACKEND": MISSING}}}
    run = manage("basic", "isolatedtest", LABEL, env=env)
    assert run.returncode == 1, run
    assert run.stderr.splitlines() == [f"ConfigurationError: {IMPORT_ERROR}"], run
    assert "Creating test database" not in run.stdout + run.stderr


def test_pytest_names_the_backend_that_does_not_import(run_pytest):
    run = run_pytest("pytestproj", env={"FIXTURE_CACHE": {"BACKEND": MISSING}})
    assert run.returncode != 0, run.log
    expected = IMPORT_ERROR.replace("broken", "default").replace(
        "'basicapp.no_such_module'", "'basicapp'"
    )
    assert run.stderr.split() == f"ERROR: isolatedtest: {expected}".split(), run.log
    assert "isolatedtest" not in run.stdout, run.log  # no summary of nothing


def test_a_redis_location_that_cannot_work_is_named_at_start(manage):
    location = "http://127.0.0.1:1/0"
    env = {
        "FIXTURE_EXTRA_CACHES": {
            "sessions": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": location,
            }
        }
    }
    run = manage("basic", "isolatedtest", LABEL, env=env)
    assert run.returncode == 0, run
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert warnings == [
        "isolatedtest: WARNING: cache alias 'sessions' uses "
        f"django_redis.cache.RedisCache with LOCATION {location!r}, which it cannot "
        "connect with: Redis URL must specify one of the following schemes "
        "(redis://, rediss://, unix://). Every test that uses this alias will fail; "
        "fix its LOCATION."
    ], run
