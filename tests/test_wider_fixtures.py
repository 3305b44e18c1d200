"""A wider pytest fixture that deletes a key or clears the cache inside a test.

pytest sets a module's fixture up when a test first asks for it, which may be
in the middle of the test, after the test and its class wrote keys. Without
isolation the test then sees the key gone and the cache empty; with
isolation it must see the same, on every backend ('widerfix' project).
"""

import pytest

BACKENDS = ["locmem", "redis", "django-redis", "pymemcache", "file"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_wider_fixtures_delete_and_clear_are_seen_at_once(
    run_pytest, server_cache, backend
):
    env = {} if backend == "locmem" else {"FIXTURE_CACHE": server_cache(backend)}
    plain = run_pytest("widerfix", "-p", "no:isolatedtest", env=env)
    assert plain.returncode == 0, plain.log
    isolated = run_pytest("widerfix", env=env)
    assert isolated.returncode == 0, isolated.log
