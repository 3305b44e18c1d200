"""Row caches filled with rows the scope did not write: no leak, under --strict too.

Only a cached row that the scope created, changed or deleted can be stale
once its transaction is rolled back: CachedNewSiteTests' class caches a Site
it created in setUpTestData, which is gone after the class.
"""

from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.test import TestCase, override_settings

from shop.models import Rate


class FillTests(TestCase):
    def test_fills_the_current_site(self):
        self.assertEqual(Site.objects.get_current().domain, "example.com")

    def test_fills_a_content_type(self):
        self.assertEqual(ContentType.objects.get_for_model(Rate).model, "rate")

    def test_empties_and_refills_both(self):
        Site.objects.clear_cache()
        ContentType.objects.clear_cache()
        Site.objects.get_current()


class CachedNewSiteTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.site = Site.objects.create(domain="new.test", name="new")
        with override_settings(SITE_ID=cls.site.pk):
            Site.objects.get_current()

    def test_sees_the_new_site(self):
        with override_settings(SITE_ID=self.site.pk):
            self.assertEqual(Site.objects.get_current().domain, "new.test")
