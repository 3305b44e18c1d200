from decimal import Decimal

from django.contrib.sites.models import Site
from django.test import TestCase

from shop.links import share_link
from shop.models import Product


class ShareLinkTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.mug = Product.objects.create(name="Mug", slug="mug", price=Decimal("8"))

    def test_link_is_on_the_site_domain(self):
        self.assertEqual(share_link(self.mug), "https://example.com/products/mug/")


class StagingSiteTests(TestCase):
    """The shop as it runs on the staging server."""

    @classmethod
    def setUpTestData(cls):
        Site.objects.filter(pk=1).update(domain="staging.example.com")
        cls.mug = Product.objects.create(name="Mug", slug="mug", price=Decimal("8"))

    def test_link_is_on_the_staging_domain(self):
        self.assertEqual(
            share_link(self.mug), "https://staging.example.com/products/mug/"
        )
