"""The core end-to-end fixtures, run on every shared backend, behave as on LocMem.

The 'basic' project's leak, order, exemption and edge-case tests run with its
two isolated aliases ("default", and "other" with a KEY_PREFIX) moved to a
shared backend. Outcomes, leaks and --strict failures must be exactly those
of the same run on LocMemCache. (DatabaseCache is left out: these fixtures
are mostly SimpleTestCase, which Django forbids to query a database; the
'shared' project covers it.)
"""

from __future__ import annotations

import pytest
from servers import ALL_BACKENDS

LABELS = (
    "basicapp.tests.test_leaks",
    "basicapp.tests.test_order",
    "basicapp.tests.test_exempt",
    "basicapp.tests.test_edges",
)
MODES = {"serial": (), "reverse": ("--reverse",), "parallel": ("--parallel", "2")}


def observed(manage, read_leaks, tmp_path, mode, *options, env=None):
    report = tmp_path / f"{mode}-{len(options)}.json"
    run = manage(
        "basic",
        "isolatedtest",
        *LABELS,
        *MODES[mode],
        *options,
        "--leak-report",
        str(report),
        env=env,
    )
    _, leaks = read_leaks(report)
    return run.returncode, run.outcome, set(run.problems), leaks


@pytest.fixture(scope="module")
def on_locmem(manage, read_leaks, tmp_path_factory):
    """What each mode gives on LocMemCache, computed once."""
    directory = tmp_path_factory.mktemp("locmem")
    return {
        (mode, strict): observed(manage, read_leaks, directory, mode, *strict)
        for mode in MODES
        for strict in ((), ("--strict",))
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", [b for b in ALL_BACKENDS if b != "db"])
def test_a_shared_backend_gives_the_same_outcome_and_leaks_as_locmem(
    manage, read_leaks, tmp_path, server_cache, on_locmem, backend, mode
):
    default = server_cache(backend)
    other = {**server_cache(backend), "KEY_PREFIX": "pre"}
    if backend == "file":
        other["LOCATION"] += "-other"
    env = {"FIXTURE_EXTRA_CACHES": {"default": default, "other": other}}
    for strict in ((), ("--strict",)):
        got = observed(manage, read_leaks, tmp_path, mode, *strict, env=env)
        assert got == on_locmem[mode, strict], (backend, mode, strict)
