"""A cache backend isolatedtest has no strategy for; no test uses it."""

from django.core.cache.backends.base import BaseCache


class RemoteCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)
