from decimal import Decimal

from django.test import TestCase
from django.urls import reverse

from shop.models import Product


class ProductDetailTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.mug = Product.objects.create(name="Mug", slug="mug", price=Decimal("12"))
        cls.url = reverse("shop:product_detail", args=["mug"])

    def test_each_visit_is_counted(self):
        for _ in range(3):
            response = self.client.get(self.url)
        self.assertEqual(response.context["view_count"], 3)

    def test_first_visit_counts_one_view(self):
        response = self.client.get(self.url)
        self.assertEqual(response.context["view_count"], 1)
        self.assertContains(response, "Viewed 1 time<")

    def test_inactive_product_is_not_found(self):
        Product.objects.filter(pk=self.mug.pk).update(is_active=False)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 404)

    def test_shows_name_and_price(self):
        response = self.client.get(self.url)
        self.assertContains(response, "<h1>Mug</h1>", html=True)
        self.assertContains(response, "$12.00")


class ProductListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.kettle = Product.objects.create(
            name="Kettle", slug="kettle", price=Decimal("30")
        )
        cls.mug = Product.objects.create(name="Mug", slug="mug", price=Decimal("12"))
        cls.url = reverse("shop:product_list")

    def test_inactive_products_are_hidden(self):
        self.mug.is_active = False
        self.mug.save()
        response = self.client.get(self.url)
        self.assertContains(response, "Kettle")
        self.assertNotContains(response, "Mug")

    def test_lists_active_products_with_prices(self):
        response = self.client.get(self.url)
        self.assertContains(response, "Kettle")
        self.assertContains(response, "$30.00")
        self.assertContains(response, "Mug")
        self.assertContains(response, "$12.00")

    def test_new_product_appears_in_list(self):
        Product.objects.create(name="Teapot", slug="teapot", price=Decimal("24.50"))
        response = self.client.get(self.url)
        self.assertContains(response, "Teapot")
        self.assertContains(response, "$24.50")
