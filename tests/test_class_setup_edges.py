"""A class setup that writes to the cache and then does not complete.

Its writes must be undone before the next class starts, whether the setup
raised an error or skipped the class (``raise unittest.SkipTest`` in
setUpClass), and they must not be charged to the next class.
The fixture is basic: basicapp/tests/test_edges.py.
"""

MODULE = "basicapp.tests.test_edges"


def test_writes_of_a_setup_that_fails_are_undone_before_the_next_class(manage):
    run = manage(
        "basic",
        "isolatedtest",
        f"{MODULE}.B1SetupWritesThenFailsTests",
        f"{MODULE}.B2AfterFailingSetupTests",
    )
    assert run.returncode == 1, run.log
    assert run.problems == {
        f"setUpClass ({MODULE}.B1SetupWritesThenFailsTests)": "ERROR"
    }, run.log
    assert run.summary == "isolatedtest: no cache leaks.", run.log


def test_writes_of_a_setup_that_skips_its_class_are_undone_before_the_next_class(
    manage,
):
    run = manage(
        "basic",
        "isolatedtest",
        f"{MODULE}.A1SetupWritesThenSkipsTests",
        f"{MODULE}.A2AfterSkippingSetupTests",
        "-v",
        "2",
    )
    assert run.problems == {}, run.log
    assert run.returncode == 0, run.log
    assert run.outcome == "OK (skipped=1)", run.log
    # Nothing is charged to the class that ran after the skipped one.
    assert not [line for line in run.leak_lines if "A2After" in line], run.log


def test_plain_test_lets_both_setups_writes_through(manage):
    # The fixture detects the problem: without isolation both later tests fail.
    run = manage("basic", "test", MODULE)
    assert run.problems == {
        f"setUpClass ({MODULE}.B1SetupWritesThenFailsTests)": "ERROR",
        f"{MODULE}.A2AfterSkippingSetupTests."
        "test_does_not_see_the_skipping_setup_write": "FAIL",
        f"{MODULE}.B2AfterFailingSetupTests."
        "test_does_not_see_the_failing_setup_write": "FAIL",
    }, run.log


def test_writes_of_a_module_setup_that_fails_are_undone(manage):
    failing = "basicapp.tests.test_module_setup_fails"
    labels = (failing, "basicapp.tests.test_module_setup_then")
    plain = manage("basic", "test", *labels)
    assert plain.problems == {
        f"setUpModule ({failing})": "ERROR",
        "basicapp.tests.test_module_setup_then.AfterFailedModuleSetupTests"
        ".test_does_not_see_the_failed_module_setup_write": "FAIL",
    }, plain.log
    run = manage("basic", "isolatedtest", *labels)
    assert run.problems == {f"setUpModule ({failing})": "ERROR"}, run.log
    assert run.summary == "isolatedtest: no cache leaks.", run.log
