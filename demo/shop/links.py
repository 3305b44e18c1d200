"""Links shoppers share: absolute, on the current site's domain."""

from django.contrib.sites.models import Site
from django.urls import reverse

from shop.models import Product


def share_link(product: Product) -> str:
    """Return the product page's address, as it goes into emails and posts."""
    domain = Site.objects.get_current().domain  # cached per process by Django
    return f"https://{domain}{reverse('shop:product_detail', args=[product.slug])}"
