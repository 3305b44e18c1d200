"""The currency prices are shown in when no configuration says otherwise."""

import functools

from shop.models import SiteConfiguration
from shop.pricing import format_price


@functools.cache
def store_currency() -> str:
    """Return the store's currency: read once per process, it rarely changes."""
    config = SiteConfiguration.objects.first() or SiteConfiguration()
    return config.currency


def price_tag(amount) -> str:
    """Return ``amount`` as a tag in the store's currency ('$12.00')."""
    return format_price(amount, store_currency())
