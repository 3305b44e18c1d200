from decimal import Decimal

from django.test import TestCase
from django.urls import reverse

from shop.config import get_config
from shop.models import Product, SiteConfiguration


class EuroStoreTests(TestCase):
    """A shop whose staff switched the currency to euros."""

    @classmethod
    def setUpTestData(cls):
        SiteConfiguration.objects.create(store_name="Demo Shop Europe", currency="EUR")
        Product.objects.create(
            name="Espresso Cup", slug="espresso-cup", price=Decimal("9.50")
        )
        cls.url = reverse("shop:product_detail", args=["espresso-cup"])

    def test_configuration_is_read_from_the_database(self):
        config = get_config()
        self.assertEqual(config.store_name, "Demo Shop Europe")
        self.assertEqual(config.currency, "EUR")

    def test_prices_are_shown_in_euros(self):
        response = self.client.get(self.url)
        self.assertContains(response, "€9.50")

    def test_staff_can_switch_to_pounds(self):
        config = SiteConfiguration.objects.get()
        config.currency = "GBP"
        config.save()
        response = self.client.get(self.url)
        self.assertContains(response, "£9.50")


class SiteConfigurationTests(TestCase):
    def test_defaults_apply_until_staff_configure_the_shop(self):
        config = get_config()
        self.assertEqual(config.store_name, "Demo Shop")
        self.assertEqual(config.currency, "USD")

    def test_saved_changes_apply_immediately(self):
        SiteConfiguration.objects.create(store_name="Winter Sale")
        self.assertEqual(get_config().store_name, "Winter Sale")
