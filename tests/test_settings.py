"""The ISOLATEDTEST setting, and cache backends isolatedtest cannot isolate.

The fixture (basic) reads ISOLATEDTEST from FIXTURE_ISOLATEDTEST and extra
CACHES aliases from FIXTURE_EXTRA_CACHES (both JSON).
"""

import pytest

FEATURES = "basicapp.tests.test_settings_features"
CUSTOM = "basicapp.tests.test_custom_backend"
OPTIONS_MODULE = "basicapp.tests.test_options"

REMOTE = {"remote": {"BACKEND": "basicapp.backends.RemoteApiCache"}}
REMOTE_WARNING = (
    "isolatedtest: WARNING: cache alias 'remote' uses "
    "basicapp.backends.RemoteApiCache, which isolatedtest has no strategy for: "
)
SUBCLASS = {
    "custom": {
        "BACKEND": "basicapp.backends.CountingLocMemCache",
        "LOCATION": "basic-custom",
        "KEY_PREFIX": "cp",
    }
}


def test_excluded_alias_keeps_its_writes_across_tests(manage, tmp_path, read_leaks):
    path = tmp_path / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        f"{FEATURES}.ExcludedAliasTests",
        "--leak-report",
        str(path),
        env={"FIXTURE_ISOLATEDTEST": {"EXCLUDE_ALIASES": ["other"]}},
    )
    assert run.returncode == 0, run.log
    _, leaks = read_leaks(path)
    # The excluded alias is left alone: its write is neither undone nor reported.
    assert leaks == {
        (
            "test",
            f"{FEATURES}.ExcludedAliasTests.test_1_writes_to_both_aliases",
            "default",
            ("setting:default",),
        )
    }


def test_without_exclusion_the_same_alias_is_isolated(manage):
    run = manage("basic", "isolatedtest", f"{FEATURES}.ExcludedAliasTests")
    assert run.returncode == 1, run.log
    assert run.problems == {
        f"{FEATURES}.ExcludedAliasTests.test_2_sees_only_the_excluded_alias_write": (
            "FAIL"
        )
    }, run.log


def test_persistent_keys_survive_tests_and_classes_and_are_not_reported(
    manage, tmp_path, read_leaks
):
    path = tmp_path / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        f"{FEATURES}.Persistent1KeysTests",
        f"{FEATURES}.Persistent2LaterClassTests",
        "-v",
        "2",
        "--leak-report",
        str(path),
        env={"FIXTURE_ISOLATEDTEST": {"PERSISTENT_KEYS": ["persist:*"]}},
    )
    assert run.returncode == 0, run.log
    assert run.ran == 3, run.log
    _, leaks = read_leaks(path)
    assert leaks == {
        (
            "test",
            f"{FEATURES}.Persistent1KeysTests."
            "test_1_writes_persistent_and_temporary_keys",
            "default",
            ("temporary",),
        )
    }


def test_without_persistent_keys_the_same_keys_are_undone(manage):
    run = manage(
        "basic",
        "isolatedtest",
        f"{FEATURES}.Persistent1KeysTests",
        f"{FEATURES}.Persistent2LaterClassTests",
    )
    assert run.returncode == 1, run.log
    assert run.problems == {
        f"{FEATURES}.Persistent1KeysTests.test_2_sees_only_the_persistent_keys": "FAIL",
        f"{FEATURES}.Persistent2LaterClassTests."
        "test_sees_persistent_keys_of_an_earlier_class": "FAIL",
    }, run.log


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"EXCLUDE_ALIAS": ["other"]},
            "ISOLATEDTEST has unknown key(s) 'EXCLUDE_ALIAS'; the known keys are "
            "EXCLUDE_ALIASES, PERSISTENT_KEYS, OFF, MEMOIZED_EXCLUDE.",
        ),
        (
            {"PERSISTENT_KEYS": "persist:*"},
            "ISOLATEDTEST['PERSISTENT_KEYS'] must be a list of strings, "
            "got 'persist:*'.",
        ),
        (
            {"PERSISTENT_KEYS": ["persist:*", 3]},
            "ISOLATEDTEST['PERSISTENT_KEYS'] must be a list of strings; 3 is not a "
            "string.",
        ),
        (
            {"EXCLUDE_ALIASES": ["nope"]},
            "ISOLATEDTEST['EXCLUDE_ALIASES'] names 'nope', which CACHES does not "
            "define",
        ),
        (["other"], "ISOLATEDTEST must be a dict"),
    ],
    ids=["unknown-key", "string-not-list", "non-string-item", "unknown-alias", "list"],
)
def test_a_wrong_setting_stops_the_run_before_any_database_or_test(
    manage, setting, message
):
    # test_order has TestCases: a run that got as far would create a database.
    run = manage(
        "basic",
        "isolatedtest",
        "basicapp.tests.test_order",
        env={"FIXTURE_ISOLATEDTEST": setting},
    )
    assert run.returncode == 1, run.log
    assert run.stderr.startswith(f"ConfigurationError: {message}"), run.log
    assert "test database" not in run.output, run.log
    assert "Ran " not in run.stderr, run.log


def test_the_same_run_creates_a_database_with_a_right_setting(manage):
    run = manage(
        "basic",
        "isolatedtest",
        "basicapp.tests.test_order",
        env={"FIXTURE_ISOLATEDTEST": {"EXCLUDE_ALIASES": ["other"]}},
    )
    assert run.returncode == 0, run.log
    assert "Creating test database for alias 'default'" in run.stderr, run.log


def test_system_check_reports_a_wrong_setting(manage):
    wrong = manage(
        "basic", "check", env={"FIXTURE_ISOLATEDTEST": {"EXCLUDE_ALIAS": ["other"]}}
    )
    right = manage(
        "basic", "check", env={"FIXTURE_ISOLATEDTEST": {"EXCLUDE_ALIASES": ["other"]}}
    )
    assert wrong.returncode == 1, wrong.log
    assert (
        "(isolatedtest.E001) ISOLATEDTEST has unknown key(s) 'EXCLUDE_ALIAS'"
        in wrong.stderr
    ), wrong.log
    assert right.returncode == 0, right.log
    assert "System check identified no issues" in right.stdout, right.log


def test_locmem_and_dummy_caches_give_no_warning(manage):
    run = manage("basic", "isolatedtest", OPTIONS_MODULE)
    assert run.returncode == 0, run.log
    assert "WARNING" not in run.output, run.log


def test_unsupported_backend_is_named_in_a_warning_at_start(
    manage, tmp_path, read_leaks
):
    path = tmp_path / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        OPTIONS_MODULE,
        "--leak-report",
        str(path),
        env={"FIXTURE_EXTRA_CACHES": REMOTE},
    )
    assert run.returncode == 0, run.log
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, run.log
    assert warnings[0].startswith(REMOTE_WARNING), run.log
    assert run.stderr.index(REMOTE_WARNING) < run.stderr.index("Ran "), run.log
    report, _ = read_leaks(path)
    assert report["not_isolated"] == [
        {
            "alias": "remote",
            "backend": "basicapp.backends.RemoteApiCache",
            "reason": "which isolatedtest has no strategy for",
        }
    ]


def test_strict_refuses_to_run_with_an_unsupported_backend(manage):
    run = manage(
        "basic",
        "isolatedtest",
        OPTIONS_MODULE,
        "--strict",
        env={"FIXTURE_EXTRA_CACHES": REMOTE},
    )
    assert run.returncode == 1, run.log
    assert run.stderr.startswith(
        "CommandError: cache alias 'remote' uses basicapp.backends.RemoteApiCache, "
        "which isolatedtest has no strategy for; --strict refuses to run with it"
    ), run.log
    assert "Ran " not in run.stderr, run.log


# Subclasses covered only in part: (alias, BACKEND, why, what it leaves out).
PARTLY_COVERED = {
    # It overrides get and set without calling LocMemCache's own.
    "methods": (
        "threadlocal",
        "basicapp.backends.ThreadLocalCache",
        "a LocMemCache whose get, set do not call LocMemCache's own",
        "what they keep elsewhere",
    ),
    # It overrides no data method: only its instances show where data goes.
    "instances": (
        "own",
        "basicapp.backends.OwnStoreCache",
        "a LocMemCache whose instances keep their data in dicts of their own, "
        "not LocMemCache's",
        "what they keep there",
    ),
}


@pytest.mark.parametrize("case", PARTLY_COVERED)
def test_a_subclass_that_keeps_its_data_elsewhere_is_named_at_start(manage, case):
    alias, backend, why, effect = PARTLY_COVERED[case]
    env = {"FIXTURE_EXTRA_CACHES": {alias: {"BACKEND": backend, "LOCATION": alias}}}
    label = f"{OPTIONS_MODULE}.OptionTests.test_plain"
    run = manage("basic", "isolatedtest", label, env=env)
    assert run.returncode == 0, run.log
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert warnings == [
        f"isolatedtest: WARNING: cache alias {alias!r} uses {backend}, {why}: "
        f"{effect} is NOT isolated between tests. Silence this with "
        f"ISOLATEDTEST = {{'EXCLUDE_ALIASES': [{alias!r}]}}."
    ], run.log
    strict = manage("basic", "isolatedtest", label, "--strict", env=env)
    assert strict.returncode == 1, strict.log
    assert strict.stderr.startswith(
        f"CommandError: cache alias {alias!r} uses {backend}, {why}; --strict "
        "refuses to run with it."
    ), strict.log
    assert "Ran " not in strict.stderr, strict.log


def test_excluding_an_unsupported_alias_silences_the_warning_and_strict(manage):
    run = manage(
        "basic",
        "isolatedtest",
        f"{OPTIONS_MODULE}.OptionTests.test_plain",
        "--strict",
        env={
            "FIXTURE_EXTRA_CACHES": REMOTE,
            "FIXTURE_ISOLATEDTEST": {"EXCLUDE_ALIASES": ["remote"]},
        },
    )
    assert run.returncode == 0, run.log
    assert run.ran == 1, run.log
    assert "WARNING" not in run.output, run.log


def test_locmem_subclass_is_isolated_and_reported_under_its_alias(
    manage, tmp_path, read_leaks
):
    path = tmp_path / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        f"{CUSTOM}.IsolatedSubclassTests",
        "--leak-report",
        str(path),
        env={"FIXTURE_EXTRA_CACHES": SUBCLASS},
    )
    assert run.returncode == 0, run.log
    assert "WARNING" not in run.output, run.log
    _, leaks = read_leaks(path)
    # Keys are shown as code passed them, under the alias that wrote them.
    assert leaks == {
        (
            "test",
            f"{CUSTOM}.IsolatedSubclassTests.test_1_writes",
            "custom",
            ("custom:isolated",),
        )
    }


def test_excluded_locmem_subclass_alias_is_left_alone(manage, tmp_path, read_leaks):
    path = tmp_path / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        f"{CUSTOM}.ExcludedSubclassTests",
        "--leak-report",
        str(path),
        env={
            "FIXTURE_EXTRA_CACHES": SUBCLASS,
            "FIXTURE_ISOLATEDTEST": {"EXCLUDE_ALIASES": ["custom"]},
        },
    )
    assert run.returncode == 0, run.log
    _, leaks = read_leaks(path)
    assert leaks == set()


def test_a_backend_that_keeps_its_data_in_a_locmem_store_is_described_truly(
    manage, tmp_path, read_leaks
):
    path = tmp_path / "leaks.json"
    run = manage(
        "basic",
        "isolatedtest",
        f"{CUSTOM}.WrappingBackendTests",
        "--leak-report",
        str(path),
        env={
            "FIXTURE_EXTRA_CACHES": {
                "wrapping": {
                    "BACKEND": "basicapp.backends.WrappingCache",
                    "LOCATION": "basic-wrapping",
                }
            }
        },
    )
    assert run.returncode == 0, run.log
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert warnings == [
        "isolatedtest: WARNING: cache alias 'wrapping' uses "
        "basicapp.backends.WrappingCache, which isolatedtest has no strategy for: "
        "what this backend stores itself is NOT isolated between tests (what it "
        "keeps in a LocMemCache or another isolated alias is). Silence this with "
        "ISOLATEDTEST = {'EXCLUDE_ALIASES': ['wrapping']}."
    ], run.log
    # Its inner store is isolated, and named as what it is.
    assert run.summary.startswith(
        "isolatedtest: 1 test left cache state behind "
        "(1 key in 'basic-wrapping-inner'; 1 added)"
    ), run.log
    report, _ = read_leaks(path)
    assert [(leak["alias"], leak["location"]) for leak in report["leaks"]] == [
        ("", "basic-wrapping-inner")
    ]
