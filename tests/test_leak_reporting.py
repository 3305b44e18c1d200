"""Which leaks isolatedtest finds, and how it reports them.

The fixture (basic: basicapp/tests/test_leaks.py) has a known inventory of
leaking tests, one leaking class, and tests that clean up after themselves.
"""

import re

import pytest

MODULE = "basicapp.tests.test_leaks"
LOCATIONS = {"default": "basic-default", "other": "basic-other"}
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"

# (scope, name, alias, sorted keys): everything test_leaks.py leaves behind.
EXPECTED_LEAKS = {
    ("test", f"{MODULE}.LeakyTests.test_leaks_one_key", "default", ("leaky:one",)),
    (
        "test",
        f"{MODULE}.LeakyTests.test_leaks_two_keys",
        "default",
        ("leaky:two:a", "leaky:two:b"),
    ),
    (
        "test",
        f"{MODULE}.LeakyTests.test_leaks_into_prefixed_alias",
        "other",
        ("versioned",),
    ),
    (
        "test",
        f"{MODULE}.ClassStateTests.test_changes_a_setup_key",
        "default",
        ("class:setup",),
    ),
    (
        "test",
        f"{MODULE}.ClassStateTests.test_deletes_a_setup_key",
        "default",
        ("class:setup",),
    ),
    (
        "class",
        f"{MODULE}.ClassStateTests",
        "default",
        ("class:setup", "class:teardown"),
    ),
}
LEAKING_TESTS = {name for scope, name, _, _ in EXPECTED_LEAKS if scope == "test"}
SUMMARY = (
    "isolatedtest: 5 tests and 1 class left cache state behind "
    "(8 keys in 'default', 'other'; 6 added, 1 changed, 1 deleted); isolation undid it."
)
HINT = " Run with -v 2 to list them, -v 3 for keys."


# How each leak differs from when its scope opened, where not all added.
CHANGES = {
    f"{MODULE}.ClassStateTests.test_changes_a_setup_key": "changed",
    f"{MODULE}.ClassStateTests.test_deletes_a_setup_key": "deleted",
}


def leak_line(scope, name, alias, keys):
    count = "1 key" if len(keys) == 1 else f"{len(keys)} keys"
    change = CHANGES.get(name, "added")
    return (
        f"  leak: {scope} {name}: alias '{alias}' "
        f"(LocMemCache '{LOCATIONS[alias]}'), {count} ({len(keys)} {change})"
    )


@pytest.fixture(scope="module")
def report_run(manage, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "leaks.json"
    return manage("basic", "isolatedtest", MODULE, "--leak-report", str(path)), path


@pytest.fixture(scope="module")
def verbose_run(manage):
    return manage("basic", "isolatedtest", MODULE, "-v", "2")


@pytest.fixture(scope="module")
def keys_run(manage):
    return manage("basic", "isolatedtest", MODULE, "-v", "3")


@pytest.fixture(scope="module")
def strict_run(manage, tmp_path_factory):
    path = tmp_path_factory.mktemp("strict") / "leaks.json"
    run = manage(
        "basic", "isolatedtest", MODULE, "--strict", "--leak-report", str(path)
    )
    return run, path


def test_isolatedtest_passes_a_leaking_suite_and_prints_one_summary_line(report_run):
    run, _ = report_run
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert run.ran == 13, run.log
    assert run.summary == SUMMARY + HINT, run.log
    assert run.leak_lines == [], run.log


def test_summary_says_no_cache_leaks_for_a_suite_that_cleans_up(manage):
    run = manage(
        "basic",
        "isolatedtest",
        f"{MODULE}.TidyTests",
        f"{MODULE}.TidyClassTests",
    )
    assert run.returncode == 0, run.log
    assert run.ran == 7, run.log
    assert run.summary == "isolatedtest: no cache leaks.", run.log


def test_json_report_lists_exactly_the_leaks_with_their_backend(report_run, read_leaks):
    _, path = report_run
    report, leaks = read_leaks(path)
    assert leaks == EXPECTED_LEAKS
    assert report["version"] == 1
    assert report["isolation"] is True
    assert report["strict"] is False
    assert report["not_isolated"] == []
    for leak in report["leaks"]:
        assert leak["backend"] == LOCMEM, leak
        assert leak["location"] == LOCATIONS[leak["alias"]], leak


def test_verbosity_2_lists_one_line_per_leak_without_keys(verbose_run):
    run = verbose_run
    assert run.returncode == 0, run.log
    assert run.summary == SUMMARY, run.log
    assert sorted(run.leak_lines) == sorted(
        leak_line(*leak) for leak in EXPECTED_LEAKS
    ), run.log


def test_verbosity_3_lists_each_key_under_its_leak(keys_run):
    run = keys_run
    assert run.returncode == 0, run.log
    assert run.summary == SUMMARY, run.log
    listed = {}
    current = None
    for line in run.leak_lines:
        if line.startswith("  leak: "):
            current = listed.setdefault(line, [])
        else:
            assert current is not None, run.log
            found = re.fullmatch(r" {6}(\S+) \((added|changed|deleted)\)", line)
            assert found, line
            current.append(found[1])
    expected = {leak_line(*leak): sorted(leak[3]) for leak in EXPECTED_LEAKS}
    assert {line: sorted(keys) for line, keys in listed.items()} == expected, run.log


def test_strict_fails_exactly_the_leaking_tests_and_the_leaking_class(strict_run):
    run, _ = strict_run
    assert run.returncode == 1, run.log
    assert run.ran == 13, run.log
    expected = {name: "FAIL" for name in LEAKING_TESTS}
    expected[f"tearDownClass ({MODULE}.ClassStateTests)"] = "ERROR"
    assert run.problems == expected, run.log
    assert run.outcome == "FAILED (failures=5, errors=1)", run.log


@pytest.mark.parametrize(
    ("scope", "name", "alias", "keys"),
    sorted(EXPECTED_LEAKS),
    ids=[name.rsplit(".", 1)[-1] for _, name, _, _ in sorted(EXPECTED_LEAKS)],
)
def test_strict_failure_message_names_alias_and_keys(
    strict_run, scope, name, alias, keys
):
    run, _ = strict_run
    section = run.problem_text(name if scope == "test" else f"tearDownClass ({name})")
    message = re.search(r"AssertionError: (isolatedtest: .*)", section)
    assert message, section
    prefix = (
        f"isolatedtest: this {scope} left cache state behind: alias '{alias}' "
        f"(LocMemCache '{LOCATIONS[alias]}'): "
    )
    assert message[1].startswith(prefix), message[1]
    listed = message[1][len(prefix) :].split(". ", 1)[0]
    named = [item.rsplit(" (", 1)[0] for item in listed.split(", ")]
    assert sorted(named) == sorted(repr(key) for key in keys), message[1]


def test_strict_report_says_strict_and_lists_the_same_leaks(strict_run, read_leaks):
    _, path = strict_run
    report, leaks = read_leaks(path)
    assert report["strict"] is True
    assert leaks == EXPECTED_LEAKS


def test_strict_passes_tests_that_clean_up_after_themselves(manage):
    run = manage(
        "basic",
        "isolatedtest",
        f"{MODULE}.TidyTests",
        f"{MODULE}.TidyClassTests",
        "--strict",
    )
    assert run.returncode == 0, run.log
    assert run.outcome == "OK", run.log
    assert run.ran == 7, run.log


def test_no_isolation_reproduces_the_failures_of_plain_test(manage):
    plain = manage("basic", "test", "basicapp.tests.test_order")
    run = manage("basic", "isolatedtest", "basicapp.tests.test_order", "--no-isolation")
    assert plain.returncode == run.returncode == 1, run.log
    assert run.outcome == plain.outcome == "FAILED (failures=5)", run.log
    assert run.summary.endswith("it was NOT undone (--no-isolation)." + HINT), run.log


def test_no_isolation_reports_the_same_leaks_as_isolation(manage, tmp_path, read_leaks):
    path = tmp_path / "leaks.json"
    run = manage(
        "basic", "isolatedtest", MODULE, "--no-isolation", "--leak-report", str(path)
    )
    # Without isolation ClassStateTests' tests see each other's writes, as
    # under plain test: the two that run after test_changes_a_setup_key fail.
    assert run.returncode == 1, run.log
    report, leaks = read_leaks(path)
    assert report["isolation"] is False
    # test_deletes_a_setup_key fails before it deletes: it leaves nothing.
    deleting = f"{MODULE}.ClassStateTests.test_deletes_a_setup_key"
    assert leaks == {leak for leak in EXPECTED_LEAKS if leak[1] != deleting}
    assert run.summary == (
        "isolatedtest: 4 tests and 1 class left cache state behind "
        "(7 keys in 'default', 'other'; 6 added, 1 changed); it was NOT undone "
        "(--no-isolation)." + HINT
    ), run.log
