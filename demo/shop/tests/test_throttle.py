from decimal import Decimal

from django.http import HttpResponse
from django.test import RequestFactory, SimpleTestCase, TestCase
from django.urls import reverse

from shop.models import Product
from shop.throttle import throttle


class SearchApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        Product.objects.create(name="Kettle", slug="kettle", price=Decimal("30"))
        Product.objects.create(name="Teapot", slug="teapot", price=Decimal("24.50"))
        cls.url = reverse("shop:search")

    def test_blank_query_finds_nothing(self):
        response = self.client.get(self.url, {"q": "  "})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["results"], [])

    def test_search_matches_part_of_the_name(self):
        response = self.client.get(self.url, {"q": "pot"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json()["results"],
            [{"name": "Teapot", "slug": "teapot", "price": "$24.50"}],
        )


class SearchRateLimitTests(TestCase):
    def test_sixth_search_in_a_minute_is_refused(self):
        url = reverse("shop:search")
        for _ in range(5):
            self.assertEqual(self.client.get(url, {"q": "mug"}).status_code, 200)
        response = self.client.get(url, {"q": "mug"})
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response["Retry-After"], "60")


@throttle("contact", limit=2, period=60)
def contact(request):
    return HttpResponse("Thanks, we will get back to you.")


class ThrottleDecoratorTests(SimpleTestCase):
    def setUp(self):
        self.factory = RequestFactory()

    def post(self, ip="127.0.0.1"):
        return contact(self.factory.post("/contact/", REMOTE_ADDR=ip))

    def test_allows_requests_up_to_the_limit(self):
        self.assertEqual(self.post().status_code, 200)
        self.assertEqual(self.post().status_code, 200)

    def test_clients_are_limited_separately(self):
        for _ in range(3):
            self.post(ip="203.0.113.7")
        self.assertEqual(self.post(ip="203.0.113.7").status_code, 429)
        self.assertEqual(self.post().status_code, 200)

    def test_refuses_requests_over_the_limit(self):
        self.post()
        self.post()
        response = self.post()
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response["Retry-After"], "60")
