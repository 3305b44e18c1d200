"""A test that kills its xdist worker, when FIXTURE_CRASH is set."""

import os

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    not os.environ.get("FIXTURE_CRASH"), reason="only when FIXTURE_CRASH is set"
)


def test_kills_its_worker():
    cache.set("crash-key", 1)
    os._exit(1)
