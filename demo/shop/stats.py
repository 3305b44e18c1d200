"""Product view counters, kept in the cache so page views never write to the DB."""

from django.core.cache import cache


def _key(product) -> str:
    return f"product-views:{product.pk}"


def record_view(product) -> int:
    """Count one view of ``product``; return its total."""
    cache.add(_key(product), 0, timeout=None)
    return cache.incr(_key(product))


def view_count(product) -> int:
    return cache.get(_key(product), 0)
