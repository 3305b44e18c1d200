"""The site configuration, read from the cache on every request."""

from django.core.cache import cache

from shop.models import CONFIG_CACHE_KEY, CONFIG_CACHE_TIMEOUT, SiteConfiguration


def get_config() -> SiteConfiguration:
    """Return the shop's configuration, or the defaults if staff never set one."""
    return cache.get_or_set(CONFIG_CACHE_KEY, _load_config, CONFIG_CACHE_TIMEOUT)


def _load_config() -> SiteConfiguration:
    return SiteConfiguration.objects.first() or SiteConfiguration()
