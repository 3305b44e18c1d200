from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_page

from shop.config import get_config
from shop.models import Product
from shop.pricing import format_price
from shop.stats import record_view
from shop.throttle import throttle


@cache_page(60 * 5)
def product_list(request):
    return render(
        request,
        "shop/product_list.html",
        {"config": get_config(), "products": Product.objects.filter(is_active=True)},
    )


def product_detail(request, slug):
    product = get_object_or_404(Product, slug=slug, is_active=True)
    return render(
        request,
        "shop/product_detail.html",
        {
            "config": get_config(),
            "product": product,
            "view_count": record_view(product),
        },
    )


@throttle("search", limit=5, period=60)
def search(request):
    query = request.GET.get("q", "").strip()
    products = Product.objects.none()
    if query:
        products = Product.objects.filter(is_active=True, name__icontains=query)
    currency = get_config().currency
    return JsonResponse(
        {
            "query": query,
            "results": [
                {
                    "name": product.name,
                    "slug": product.slug,
                    "price": format_price(product.price, currency),
                }
                for product in products
            ],
        }
    )
