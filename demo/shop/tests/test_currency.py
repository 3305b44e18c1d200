from decimal import Decimal

from django.test import TestCase

from shop.currency import price_tag
from shop.models import SiteConfiguration


class PriceTagTests(TestCase):
    def test_a_new_shop_shows_dollars(self):
        self.assertEqual(price_tag(Decimal("5")), "$5.00")

    def test_tags_follow_the_configured_currency(self):
        SiteConfiguration.objects.create(currency="GBP")
        self.assertEqual(price_tag(Decimal("5")), "£5.00")
