"""Tests that leave state in caches outside the cache framework.

Each ``test_a_*`` leaves something that its ``test_b_*`` (run after it,
alphabetically) must not see: under plain ``test`` the b tests fail.
"""

from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.test import TestCase

from isolatedtest import no_isolation
from shop.models import Rate
from shop.pricing import Catalog, vat_rate


class SiteTests(TestCase):
    def test_a_renames_the_current_site(self):
        site = Site.objects.get_current()
        site.domain = "renamed.test"
        site.save()
        self.assertEqual(Site.objects.get_current().domain, "renamed.test")

    def test_b_sees_the_current_site(self):
        self.assertEqual(Site.objects.get_current().domain, "example.com")


class ContentTypeTests(TestCase):
    def test_a_makes_a_content_type(self):
        ContentType.objects.create(app_label="shop", model="ghost")
        ContentType.objects.get_by_natural_key("shop", "ghost")

    def test_b_finds_no_such_content_type(self):
        with self.assertRaises(ContentType.DoesNotExist):
            ContentType.objects.get_by_natural_key("shop", "ghost")


class MemoizedTests(TestCase):
    def test_a_standard_rate(self):
        Rate.objects.create(name="vat", percent=20)
        Rate.objects.create(name="summer", percent=10)
        self.assertEqual(vat_rate(), 20)
        self.assertEqual(Catalog.discount("summer"), 10)

    def test_b_reduced_rate(self):
        Rate.objects.create(name="vat", percent=5)
        Rate.objects.create(name="summer", percent=30)
        self.assertEqual(vat_rate(), 5)
        self.assertEqual(Catalog.discount("summer"), 30)


class LateImportTests(TestCase):
    def test_a_imports_and_fills(self):
        Rate.objects.create(name="shipping", percent=7)
        from shop import late

        self.assertEqual(late.shipping(), 7)

    def test_b_fills_again(self):
        Rate.objects.create(name="shipping", percent=3)
        from shop import late

        self.assertEqual(late.shipping(), 3)


class ClassStateTests(TestCase):
    """What setUpTestData fills is the class's: its tests see it.

    (pytest-django empties SITE_CACHE before each test itself: under pytest
    only the memoized part holds.)
    """

    @classmethod
    def setUpTestData(cls):
        Rate.objects.create(name="vat", percent=19)
        vat_rate()
        Site.objects.get_current()

    def test_a_sees_the_class_state(self):
        with self.assertNumQueries(0):
            self.assertEqual(vat_rate(), 19)
        with self.assertNumQueries(0):
            Site.objects.get_current()

    def test_b_sees_it_too(self):
        with self.assertNumQueries(0):
            self.assertEqual(vat_rate(), 19)
        with self.assertNumQueries(0):
            Site.objects.get_current()


@no_isolation
class ExemptTests(TestCase):
    """Out of isolation: its tests share what they fill; its class end undoes it."""

    def test_a_fills(self):
        Rate.objects.create(name="vat", percent=21)
        self.assertEqual(vat_rate(), 21)

    def test_b_reads_what_a_left(self):
        with self.assertNumQueries(0):
            self.assertEqual(vat_rate(), 21)
