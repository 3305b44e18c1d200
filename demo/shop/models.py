from django.core.cache import cache
from django.db import models

CONFIG_CACHE_KEY = "site-config"
CONFIG_CACHE_TIMEOUT = 60 * 60
CURRENCIES = (("USD", "US dollar"), ("EUR", "Euro"), ("GBP", "Pound sterling"))


class Product(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("name",)

    def __str__(self):
        return self.name


class SiteConfiguration(models.Model):
    """The shop's settings, edited by staff. The shop uses the first row."""

    store_name = models.CharField(max_length=100, default="Demo Shop")
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")

    def __str__(self):
        return self.store_name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Every page reads the configuration: publish the change right away
        # rather than when the cached copy expires.
        cache.set(CONFIG_CACHE_KEY, self, CONFIG_CACHE_TIMEOUT)
