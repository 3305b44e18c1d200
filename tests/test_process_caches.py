"""Caches outside the cache framework: SITE_CACHE, the ContentType cache,
memoized functions and a plugin's resource, isolated and reported like caches.

The 'outside' project's ``test_b_*`` tests each fail when they see what the
``test_a_*`` before them left (plain ``test`` shows it).
"""

import json

import pytest

MODULE = "shop.tests.test_outside"
LEFT_FOR_LATER = {
    f"{MODULE}.SiteTests.test_b_sees_the_current_site",
    f"{MODULE}.ContentTypeTests.test_b_finds_no_such_content_type",
    f"{MODULE}.MemoizedTests.test_b_reduced_rate",
    f"{MODULE}.LateImportTests.test_b_fills_again",
    # ClassStateTests, first alphabetically, filled vat_rate with its own rate.
    f"{MODULE}.ExemptTests.test_a_fills",
    f"{MODULE}.ExemptTests.test_b_reads_what_a_left",
    f"{MODULE}.MemoizedTests.test_a_standard_rate",
}


def test_plain_test_shows_each_cache_reaching_the_next_test(manage):
    run = manage("outside", "test")
    assert set(run.problems) == LEFT_FOR_LATER, run.log


def test_isolated_tests_see_only_their_class_and_leaks_are_named(manage):
    run = manage("outside", "isolatedtest", "-v", "3")
    assert run.outcome == "OK", run.log
    leaks = "\n".join(run.leak_lines)
    expected = [
        f"test {MODULE}.SiteTests.test_a_renames_the_current_site: "
        "SITE_CACHE, 1 key (1 added)",
        f"test {MODULE}.ContentTypeTests.test_a_makes_a_content_type: "
        "ContentType cache, 2 keys (2 added)",
        "      default: shop.ghost",
        f"test {MODULE}.MemoizedTests.test_a_standard_rate: "
        "memoized shop.pricing.vat_rate, filled",
        f"test {MODULE}.MemoizedTests.test_a_standard_rate: "
        "memoized shop.pricing.Catalog.discount, filled",
        f"test {MODULE}.LateImportTests.test_a_imports_and_fills: "
        "memoized shop.late.shipping, filled",
        f"class {MODULE}.ClassStateTests: memoized shop.pricing.vat_rate, filled",
    ]
    for line in expected:
        assert line in leaks, run.log
    # Never called: never reported. An exempt class is not charged.
    assert "never_called" not in run.output
    assert "ExemptTests" not in leaks


def test_strict_fails_the_test_that_filled_them_and_the_report_names_kinds(
    manage, tmp_path
):
    report = tmp_path / "leaks.json"
    run = manage("outside", "isolatedtest", "--strict", "--leak-report", str(report))
    site = f"{MODULE}.SiteTests.test_a_renames_the_current_site"
    memoized = f"{MODULE}.MemoizedTests.test_a_standard_rate"
    assert run.problems[site] == "FAIL", run.log
    assert "this test left cache state behind: SITE_CACHE: '1' (added)." in (
        run.problem_text(site)
    )
    assert "memoized shop.pricing.vat_rate: filled" in run.problem_text(memoized)
    assert run.problems[f"tearDownClass ({MODULE}.ClassStateTests)"] == "ERROR"
    kinds = {
        (leak["name"], leak["kind"]) for leak in json.loads(report.read_text())["leaks"]
    }
    assert (site, "SITE_CACHE") in kinds
    assert (memoized, "memoized shop.pricing.vat_rate") in kinds
    assert (
        f"{MODULE}.ContentTypeTests.test_a_makes_a_content_type",
        "ContentType cache",
    ) in kinds


@pytest.mark.parametrize(
    "args, env, exposed",
    [
        (("--isolation-off", "sites"), {}, {"SiteTests"}),
        ((), {"ISOLATEDTEST_OFF": "contenttypes"}, {"ContentTypeTests"}),
        (
            (),
            {"FIXTURE_ISOLATEDTEST": {"OFF": ["memoized"]}},
            {"MemoizedTests", "LateImportTests", "ExemptTests"},
        ),
        (
            (),
            {"FIXTURE_ISOLATEDTEST": {"MEMOIZED_EXCLUDE": ["shop.pricing.*"]}},
            {"MemoizedTests", "ExemptTests"},
        ),
    ],
)
def test_off_switches_leave_a_resource_alone(manage, args, env, exposed):
    run = manage("outside", "isolatedtest", *args, env=env)
    failed = {test_id.split(".")[-2] for test_id in run.problems}
    assert failed == exposed, run.log


def test_an_unknown_resource_name_is_one_line_before_the_databases(manage):
    run = manage("outside", "isolatedtest", "--isolation-off", "sites,site")
    assert run.returncode != 0
    assert run.stderr.strip().splitlines() == [
        "ConfigurationError: ISOLATEDTEST['OFF'] or --isolation-off "
        "(ISOLATEDTEST_OFF) names 'site', which is not a resource isolatedtest "
        "knows; use some of: sites, contenttypes, memoized."
    ], run.log


def test_pytest_isolates_them_too(run_pytest):
    # pytest-django empties SITE_CACHE before each test itself, which the
    # class-state tests would not survive with or without isolation.
    deselect = ("-k", "not ClassStateTests")
    plain = run_pytest("outside", *deselect, "-p", "no:isolatedtest")
    assert {test_id.split("::")[-2] for test_id in plain.failed} == {
        "ContentTypeTests",
        "MemoizedTests",
        "LateImportTests",
        "ExemptTests",
    }, plain.log
    isolated = run_pytest("outside", *deselect)
    assert isolated.returncode == 0, isolated.log
    assert "'memoized shop.late.shipping'" in isolated.summary
    strict = run_pytest("outside", *deselect, "--isolation-strict")
    memoized = "shop/tests/test_outside.py::MemoizedTests::test_a_standard_rate"
    assert memoized in strict.failed, strict.log
    assert (
        "LeakFailure: isolatedtest: this test left cache state behind: memoized "
        "shop.pricing.vat_rate: filled; memoized shop.pricing.Catalog.discount: filled."
    ) in strict.stdout


def test_a_plugin_registers_a_resource_and_a_broken_one_is_named_once(manage):
    env = {"PYTHONPATH": "plugins"}
    plain = manage("outside", "test", "fixture_plugin_tests", env=env)
    assert set(plain.problems) == {
        "fixture_plugin_tests.RegistryTests.test_b_sees_an_empty_registry"
    }, plain.log
    run = manage(
        "outside",
        "isolatedtest",
        "fixture_plugin_tests",
        "-v",
        "2",
        "--parallel",
        "2",
        env=env,
    )
    assert run.outcome == "OK", run.log
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert warnings == [
        "isolatedtest: WARNING: the resource 'broken' (fixture_plugin:broken_resource, "
        "entry point group isolatedtest.resources) failed to load: "
        "RuntimeError('this resource cannot start'). What it covers is NOT "
        "isolated; fix or uninstall its package, or leave it out with "
        "ISOLATEDTEST = {'OFF': ['broken']}."
    ], run.log
    assert (
        "  leak: test fixture_plugin_tests.RegistryTests.test_a_registers: "
        "fixture registry, 1 key (1 added)"
    ) in run.leak_lines, run.log


def test_a_wider_fixture_fills_a_memoized_function_for_its_module(run_pytest):
    """Set up lazily, inside the first test's setup: the fill is the module's."""
    run = run_pytest("outside", "-vv", "shop/tests/test_module_fixture.py")
    assert run.returncode == 0, run.log
    assert (
        "  leak: module shop/tests/test_module_fixture.py: memoized "
        "shop.pricing.vat_rate, filled"
    ) in run.stdout, run.log


FILLS = "shop.tests.test_fills"


def test_filling_a_row_cache_with_rows_the_scope_did_not_write_is_no_leak(manage):
    run = manage("outside", "isolatedtest", FILLS, "--strict", "-v", "2")
    # Only the class that cached a Site it created leaves a stale entry.
    assert run.problems == {f"tearDownClass ({FILLS}.CachedNewSiteTests)": "ERROR"}, (
        run.log
    )
    assert "SITE_CACHE: '2' (added)" in run.problem_text(
        f"tearDownClass ({FILLS}.CachedNewSiteTests)"
    ), run.log
    assert run.leak_lines == [
        f"  leak: class {FILLS}.CachedNewSiteTests: SITE_CACHE, 1 key (1 added)"
    ], run.log


def test_under_pytest_django_site_cache_is_left_to_it(run_pytest):
    # pytest-django empties SITE_CACHE before every test: what a test leaves
    # there reaches no other test, so it is no leak, even a renamed site.
    sites = "shop/tests/test_outside.py::SiteTests"
    strict = run_pytest("outside", sites, "--isolation-strict")
    assert strict.returncode == 0, strict.log
    assert strict.summary == "isolatedtest: no cache leaks.", strict.log
