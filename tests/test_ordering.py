"""Order-dependent tests fail under `test` in every order and pass isolated.

The fixture (basic: basicapp/tests/test_order.py) is built from symmetric
groups, so plain `manage.py test` fails the same 5 tests' worth in any order;
`manage.py isolatedtest` passes and reports the same leaks in any order.
"""

import pytest

LABEL = "basicapp.tests.test_order"
ORDERS = {
    "default": (),
    "reverse": ("--reverse",),
    "shuffle-1": ("--shuffle", "1"),
    "shuffle-2": ("--shuffle", "2"),
    "shuffle-5": ("--shuffle", "5"),
    "shuffle-7-reverse": ("--shuffle", "7", "--reverse"),
}
SUMMARY = (
    "isolatedtest: 8 tests and 2 classes left cache state behind "
    "(10 keys in 'default'; 6 added, 4 changed); isolation undid it."
)


@pytest.fixture(scope="module")
def isolated_runs(manage):
    """One isolatedtest run per order, at -v 2 to see the order tests ran in."""
    return {
        name: manage("basic", "isolatedtest", LABEL, "-v", "2", *options)
        for name, options in ORDERS.items()
    }


@pytest.mark.parametrize("options", ORDERS.values(), ids=ORDERS.keys())
def test_plain_test_fails_the_order_dependent_suite_in_every_order(manage, options):
    run = manage("basic", "test", LABEL, *options)
    assert run.returncode == 1, run.log
    assert run.ran == 8, run.log
    assert run.outcome == "FAILED (failures=5)", run.log


@pytest.mark.parametrize("order", ORDERS)
def test_isolatedtest_passes_the_order_dependent_suite_in_every_order(
    isolated_runs, order
):
    run = isolated_runs[order]
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert run.ran == 8, run.log
    assert set(run.results.values()) == {"ok"}, run.log


@pytest.mark.parametrize("order", ORDERS)
def test_isolatedtest_reports_the_same_leaks_in_every_order(isolated_runs, order):
    run = isolated_runs[order]
    assert run.summary == SUMMARY, run.log
    assert len(run.leak_lines) == 10, run.log


def test_each_order_option_really_changes_the_order_tests_run_in(isolated_runs):
    orders = {name: tuple(run.run_order) for name, run in isolated_runs.items()}
    assert all(len(order) == 8 for order in orders.values()), orders
    assert len(set(orders.values())) == len(ORDERS), orders


@pytest.mark.parametrize("seed", ["1", "2", "5"])
def test_isolatedtest_uses_the_given_shuffle_seed(isolated_runs, seed):
    assert (
        f"Used shuffle seed: {seed} (given)" in isolated_runs[f"shuffle-{seed}"].stdout
    )
