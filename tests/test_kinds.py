"""Every kind of test is isolated: the fixture (kinds) has one class per kind.

Each class has cache state from its class setup and two tests that each
write a key and then check the whole visible cache: their class's state and
their own write, nothing else.
"""

import pytest

MODULE = "kindsapp.tests"
KIND_CLASSES = [
    "UnittestKindTests",
    "SimpleKindTests",
    "TestCaseKindTests",
    "TransactionKindTests",
    "LiveServerKindTests",
    "AsyncKindTests",
    "SubTestKindTests",
    "SkipsKindTests",
    "ExpectedFailureKindTests",
    "OverrideClassKindTests",
    "OverrideMethodKindTests",
]


@pytest.fixture(scope="module")
def plain_run(manage):
    return manage("kinds", "test", "-v", "2")


@pytest.fixture(scope="module")
def isolated_run(manage):
    return manage("kinds", "isolatedtest", "-v", "2")


@pytest.mark.parametrize("cls", KIND_CLASSES)
def test_plain_test_fails_a_test_of_every_kind(plain_run, cls):
    failed = {
        name
        for name, kind in plain_run.problems.items()
        if name.startswith(f"{MODULE}.{cls}.")
    }
    assert failed, plain_run.log


def test_isolatedtest_passes_every_kind_of_test(isolated_run, plain_run):
    run = isolated_run
    assert run.returncode == 0, run.log
    # Not a constant: CPython 3.12.1 leaves decorator-skipped tests out of
    # "Ran N tests" (gh-106584), under plain test as well.
    assert run.ran == plain_run.ran, run.log
    assert run.outcome == "OK (skipped=4, expected failures=1)", run.log
    assert run.problems == {}, run.log


@pytest.mark.parametrize("cls", KIND_CLASSES)
def test_isolatedtest_passes_both_tests_of_each_kind(isolated_run, cls):
    results = {
        name.rsplit(".", 1)[-1]: result
        for name, result in isolated_run.results.items()
        if name.startswith(f"{MODULE}.{cls}.")
    }
    expected_a = {
        "SkipsKindTests": None,
        "ExpectedFailureKindTests": "expected failure",
    }.get(cls, "ok")
    assert results["test_b"] == "ok", isolated_run.log
    if expected_a is not None:
        assert results["test_a"] == expected_a, isolated_run.log


def test_skipped_tests_and_classes_are_skipped(isolated_run):
    results = isolated_run.results
    assert results[f"{MODULE}.SkipsKindTests.test_0_skipped"] == (
        "skipped 'skipped by a decorator'"
    )
    assert results[f"{MODULE}.SkipsKindTests.test_a_writes_then_skips"] == (
        "skipped 'skipped after writing'"
    )
    assert (
        results[f"{MODULE}.SkippedClassKindTests.test_a"] == "skipped 'a skipped class'"
    )
    assert (
        results[f"{MODULE}.SkippedClassKindTests.test_b"] == "skipped 'a skipped class'"
    )


@pytest.mark.parametrize("test", ["test_a", "test_b"])
def test_live_server_thread_writes_are_found_as_the_tests_leaks(isolated_run, test):
    assert (
        f"  leak: test {MODULE}.LiveServerKindTests.{test}: alias 'default' "
        "(LocMemCache 'kinds-default'), 1 key (1 added)"
    ) in isolated_run.leak_lines, isolated_run.log


def test_override_settings_stores_are_reset_and_reported(isolated_run):
    lines = isolated_run.leak_lines
    for test in ["test_a", "test_b"]:
        assert (
            f"  leak: test {MODULE}.OverrideClassKindTests.{test}: alias 'default' "
            "(LocMemCache 'kinds-override-class'), 1 key (1 added)"
        ) in lines, isolated_run.log
        assert any(
            line.startswith(f"  leak: test {MODULE}.OverrideMethodKindTests.{test}: ")
            and "LocMemCache 'kinds-override-method'" in line
            for line in lines
        ), isolated_run.log
    assert (
        f"  leak: class {MODULE}.OverrideClassKindTests: alias 'default' "
        "(LocMemCache 'kinds-override-class'), 1 key (1 added)"
    ) in lines, isolated_run.log


def test_a_write_before_skipping_is_undone_and_reported(isolated_run):
    assert (
        f"  leak: test {MODULE}.SkipsKindTests.test_a_writes_then_skips: "
        "alias 'default' (LocMemCache 'kinds-default'), 1 key (1 added)"
    ) in isolated_run.leak_lines, isolated_run.log


def test_subtest_writes_are_charged_to_their_test(isolated_run):
    assert (
        f"  leak: test {MODULE}.SubTestKindTests.test_a: alias 'default' "
        "(LocMemCache 'kinds-default'), 3 keys (3 added)"
    ) in isolated_run.leak_lines, isolated_run.log
