"""The demo shop fails under `manage.py test` and passes under `isolatedtest`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

DEMO = Path(__file__).parent.parent / "demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Return ``run(*args, env=None) -> (exit code, stderr)`` in a copy of demo/."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(
        DEMO, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3")
    )

    def run(*args: str, env: dict | None = None) -> tuple[int, str]:
        completed = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=root,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return completed.returncode, completed.stderr

    return run


ORDERS = [[], ["--reverse"], ["--shuffle", "1"], ["--shuffle", "2"], ["--shuffle", "3"]]


@pytest.mark.parametrize(
    "order", ORDERS, ids=lambda order: " ".join(order) or "default"
)
def test_the_demo_fails_under_test_and_passes_under_isolatedtest(demo, order):
    code, output = demo("test", *order)
    assert code == 1 and "FAILED (failures=" in output, output
    code, output = demo("isolatedtest", *order)
    assert code == 0, output
    assert "Ran 26 tests" in output


def test_the_demo_passes_under_isolatedtest_with_parallel_workers(demo):
    code, output = demo("isolatedtest", "--parallel", "2")
    assert code == 0, output
    # Filling SITE_CACHE with the unchanged site is no leak.
    assert "18 tests and 1 class left cache state behind" in output


def test_the_demo_on_a_shared_redis_collides_only_under_plain_test(demo, redis_server):
    env = {
        "DEMO_CACHE_URL": f"redis://{redis_server.address}/3",
        "DEMO_KEY_PREFIX": f"demo-{uuid.uuid4().hex[:8]}",
    }
    code, output = demo("test", "--parallel", "2", env=env)
    assert code == 1 and "FAILED (failures=" in output, output
    code, output = demo("isolatedtest", "--parallel", "2", env=env)
    assert code == 0, output


# Tests that fail under plain `test` for SITE_CACHE or a memoized function.
PROCESS_CACHE_READERS = {
    "test_links.ShareLinkTests.test_link_is_on_the_site_domain",
    "test_links.StagingSiteTests.test_link_is_on_the_staging_domain",
    "test_currency.PriceTagTests.test_a_new_shop_shows_dollars",
    "test_currency.PriceTagTests.test_tags_follow_the_configured_currency",
}

# The failures demo/README.md explains, as (reader, the test or class whose
# leftover it reads), relative to shop.tests.
README_PAIRS = {
    # Default order.
    (
        "test_catalog.ProductDetailTests.test_first_visit_counts_one_view",
        "test_catalog.ProductDetailTests.test_each_visit_is_counted",
    ),
    (
        "test_catalog.ProductListTests.test_lists_active_products_with_prices",
        "test_catalog.ProductListTests.test_inactive_products_are_hidden",
    ),
    (
        "test_catalog.ProductListTests.test_new_product_appears_in_list",
        "test_catalog.ProductListTests.test_inactive_products_are_hidden",
    ),
    (
        "test_config.SiteConfigurationTests.test_defaults_apply_until_staff_configure_the_shop",
        "test_config.EuroStoreTests",
    ),
    (
        "test_throttle.SearchRateLimitTests.test_sixth_search_in_a_minute_is_refused",
        "test_throttle.SearchApiTests.test_search_matches_part_of_the_name",
    ),
    (
        "test_throttle.SearchRateLimitTests.test_sixth_search_in_a_minute_is_refused",
        "test_throttle.SearchApiTests.test_blank_query_finds_nothing",
    ),
    (
        "test_throttle.ThrottleDecoratorTests.test_clients_are_limited_separately",
        "test_throttle.ThrottleDecoratorTests.test_allows_requests_up_to_the_limit",
    ),
    # Reversed.
    (
        "test_throttle.SearchApiTests.test_search_matches_part_of_the_name",
        "test_throttle.SearchRateLimitTests.test_sixth_search_in_a_minute_is_refused",
    ),
    (
        "test_throttle.SearchApiTests.test_blank_query_finds_nothing",
        "test_throttle.SearchRateLimitTests.test_sixth_search_in_a_minute_is_refused",
    ),
    (
        "test_config.SiteConfigurationTests.test_defaults_apply_until_staff_configure_the_shop",
        "test_config.SiteConfigurationTests.test_saved_changes_apply_immediately",
    ),
    (
        "test_config.EuroStoreTests.test_configuration_is_read_from_the_database",
        "test_config.EuroStoreTests.test_staff_can_switch_to_pounds",
    ),
    (
        "test_config.EuroStoreTests.test_prices_are_shown_in_euros",
        "test_config.EuroStoreTests.test_staff_can_switch_to_pounds",
    ),
    (
        "test_catalog.ProductListTests.test_new_product_appears_in_list",
        "test_config.EuroStoreTests.test_staff_can_switch_to_pounds",
    ),
    (
        "test_catalog.ProductListTests.test_lists_active_products_with_prices",
        "test_catalog.ProductListTests.test_new_product_appears_in_list",
    ),
    (
        "test_catalog.ProductListTests.test_inactive_products_are_hidden",
        "test_catalog.ProductListTests.test_new_product_appears_in_list",
    ),
    (
        "test_catalog.ProductDetailTests.test_shows_name_and_price",
        "test_config.EuroStoreTests.test_staff_can_switch_to_pounds",
    ),
    (
        "test_catalog.ProductDetailTests.test_first_visit_counts_one_view",
        "test_config.EuroStoreTests.test_prices_are_shown_in_euros",
    ),
    (
        "test_catalog.ProductDetailTests.test_each_visit_is_counted",
        "test_config.EuroStoreTests.test_prices_are_shown_in_euros",
    ),
    (
        "test_throttle.ThrottleDecoratorTests.test_allows_requests_up_to_the_limit",
        "test_throttle.ThrottleDecoratorTests.test_refuses_requests_over_the_limit",
    ),
    (
        "test_throttle.ThrottleDecoratorTests.test_clients_are_limited_separately",
        "test_throttle.ThrottleDecoratorTests.test_refuses_requests_over_the_limit",
    ),
}


def demo_graph(demo, tmp_path, *options) -> dict[str, set[str]]:
    """{reader: the tests and classes whose leftovers it reads}, shop.tests. cut."""
    path = tmp_path / "graph.json"
    code, output = demo(
        "isolatedtest", "--cache-dependencies", "--leak-report", str(path), *options
    )
    assert code == 0, output
    graph: dict[str, set[str]] = {}
    for item in json.loads(path.read_text())["interference"]:
        reader = item["reader"].removeprefix("shop.tests.")
        writers = {writer.removeprefix("shop.tests.") for writer in item["writers"]}
        graph.setdefault(reader, set()).update(writers)
    return graph


def test_the_dependency_graph_names_every_failure_the_readme_explains(demo, tmp_path):
    graph = demo_graph(demo, tmp_path)
    pairs = {
        (reader, writer) for reader, writers in graph.items() for writer in writers
    }
    assert pairs >= README_PAIRS, README_PAIRS - pairs
    # Every test that fails under plain `test` in one of the orders reads
    # another's leftover: of a cache key (the graph does not follow reads of
    # SITE_CACHE and memoized functions: their tests are left out here).
    failing = set()
    for order in ORDERS:
        _, output = demo("test", *order)
        failing |= set(
            re.findall(r"^(?:FAIL|ERROR): \w+ \(shop\.tests\.([\w.]+)\)", output, re.M)
        )
    failing -= PROCESS_CACHE_READERS
    assert failing and failing <= set(graph), failing - set(graph)


@pytest.mark.parametrize(
    "options",
    [["--reverse"], ["--shuffle", "1"], ["--shuffle", "2"], ["--parallel", "2"]],
    ids=" ".join,
)
def test_the_demos_dependency_graph_is_the_same_in_every_order(demo, tmp_path, options):
    assert demo_graph(demo, tmp_path, *options) == demo_graph(demo, tmp_path)


BASELINE = "isolatedtest-baseline.json"
EURO_SETUP = (
    '        SiteConfiguration.objects.create(store_name="Demo Shop Europe", '
    'currency="EUR")\n'
)
EURO_FIX = EURO_SETUP + "        cls.addClassCleanup(cache.delete, CONFIG_CACHE_KEY)\n"


def test_strict_with_the_demos_baseline_then_one_leak_fixed(tmp_path):
    """The demo README's way to adopt --strict: its checked-in baseline."""
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__"))

    def run(*args: str) -> tuple[int, str]:
        completed = subprocess.run(
            [sys.executable, "manage.py", "isolatedtest", "--strict", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return completed.returncode, completed.stderr

    code, output = run()
    assert code == 1 and "FAILED (failures=18, errors=1)" in output, output
    code, output = run("--leak-baseline", BASELINE)
    assert code == 0, output
    assert f"isolatedtest: every leak is in the baseline {BASELINE!r}." in output
    # Fix one leak: EuroStoreTests' cached configuration outlives the class.
    tests = root / "shop" / "tests" / "test_config.py"
    source = tests.read_text()
    assert EURO_SETUP in source
    tests.write_text(
        "from django.core.cache import cache\n"
        + source.replace(EURO_SETUP, EURO_FIX).replace(
            "from shop.models import ", "from shop.models import CONFIG_CACHE_KEY, "
        )
    )
    code, output = run("--leak-baseline", BASELINE)
    assert code == 0, output
    assert (
        f"isolatedtest: the baseline {BASELINE!r} lists 1 key no longer leaking: "
        "class shop.tests.test_config.EuroStoreTests: 'default' 'site-config'. "
        "Rewrite it with --leak-report."
    ) in output, output
