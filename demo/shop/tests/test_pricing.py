import unittest
from decimal import Decimal

from shop.pricing import format_price


class FormatPriceTests(unittest.TestCase):
    def test_dollars(self):
        self.assertEqual(format_price(Decimal("12"), "USD"), "$12.00")

    def test_euros(self):
        self.assertEqual(format_price(Decimal("9.5"), "EUR"), "€9.50")

    def test_thousands_are_separated(self):
        self.assertEqual(format_price(Decimal("1234.5"), "GBP"), "£1,234.50")

    def test_unknown_currency_is_spelled_out(self):
        self.assertEqual(format_price(Decimal("12"), "CHF"), "12.00 CHF")
