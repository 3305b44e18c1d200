"""The pytest plugin wherever pytest works with Django: however Django is configured.

The 'lateapps' project runs without pytest-django; a session fixture calls
``django.setup()``, after the plugin has started.
"""

import pytest

WAYS = {
    "DJANGO_SETTINGS_MODULE": {"DJANGO_SETTINGS_MODULE": "settings"},
    "settings.configure() in conftest.py": {"FIXTURE_CONFIGURE": "conftest"},
}


@pytest.mark.parametrize("way", WAYS)
def test_plain_pytest_lets_the_first_tests_key_through(run_pytest, way):
    run = run_pytest(
        "lateapps", "-p", "no:django", "-p", "no:isolatedtest", env=WAYS[way]
    )
    assert run.failed == {"tests/test_late.py::test_b_does_not_see_it"}, run.log


@pytest.mark.parametrize("way", WAYS)
def test_isolation_starts_before_the_apps_are_loaded(run_pytest, way):
    run = run_pytest("lateapps", "-p", "no:django", env=WAYS[way])
    assert run.returncode == 0, run.log
    assert run.summary.startswith(
        "isolatedtest: 1 test left cache state behind (1 key in 'default'; 1 added)"
    ), run.log
