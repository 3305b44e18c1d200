"""unittest's lifecycle as scopes: run, module, class (through its cleanups), test.

The 'basic' project's test_lifecycle module is correct under plain ``test``
and leaks nothing; test_module_leak leaves a key its module set up.
"""

import pytest

LIFECYCLE = "basicapp.tests.test_lifecycle"
MODULE_LEAK = "basicapp.tests.test_module_leak"
RUNS = {
    "serial": ((), None),
    "reverse": (("--reverse",), None),
    "parallel-fork": (("--parallel", "2"), "fork"),
    "parallel-spawn": (("--parallel", "2"), "spawn"),
}


def test_the_lifecycle_module_passes_plain_test(manage):
    run = manage("basic", "test", LIFECYCLE)
    assert run.returncode == 0, run.log
    assert run.ran == 5, run.log


@pytest.mark.parametrize("mode", RUNS)
def test_module_setup_and_class_cleanups_are_their_own_scopes(manage, mode):
    options, start_method = RUNS[mode]
    run = manage(
        "basic",
        "isolatedtest",
        LIFECYCLE,
        "--strict",
        *options,
        start_method=start_method,
    )
    assert run.problems == {}, run.log
    assert run.returncode == 0, run.log
    assert run.ran == 5, run.log
    assert run.summary == "isolatedtest: no cache leaks.", run.log


def test_a_modules_setup_write_is_charged_to_the_module(manage):
    run = manage("basic", "isolatedtest", MODULE_LEAK, "-v", "3")
    assert run.returncode == 0, run.log
    assert run.summary.startswith(
        "isolatedtest: 1 module left cache state behind (1 key in 'default'; 1 added)"
    ), run.log
    assert run.leak_lines == [
        f"  leak: module {MODULE_LEAK}: alias 'default' (LocMemCache "
        "'basic-default'), 1 key (1 added)",
        "      module-leak (added)",
    ], run.log


def test_strict_fails_the_module_that_leaked(manage):
    run = manage("basic", "isolatedtest", MODULE_LEAK, "--strict")
    assert run.problems == {f"tearDownModule ({MODULE_LEAK})": "ERROR"}, run.log
    text = run.problem_text(f"tearDownModule ({MODULE_LEAK})")
    assert "isolatedtest: this module left cache state behind" in text, run.log
    assert "'module-leak'" in text, run.log
