"""A library that grabs its cache object at import time."""

from django.core.cache import caches

captured = caches["default"]
