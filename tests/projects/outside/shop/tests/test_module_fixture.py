"""pytest only: a module-scoped fixture fills a memoized function lazily.

The first test asks for the fixture only while it runs, so pytest sets it up
inside that test; what it fills is still the module's, so the second test
finds it (no query).
"""

import pytest

from shop.models import Rate
from shop.pricing import vat_rate


@pytest.fixture(scope="module")
def standard_rate(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        Rate.objects.create(name="vat", percent=25)
        yield vat_rate()
        Rate.objects.filter(name="vat").delete()


@pytest.mark.django_db
def test_first(request, django_assert_num_queries):
    rate = request.getfixturevalue("standard_rate")
    with django_assert_num_queries(0):
        assert vat_rate() == rate == 25


@pytest.mark.django_db
def test_second(standard_rate, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert vat_rate() == 25
