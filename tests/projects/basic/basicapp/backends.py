"""Project-specific cache backends, as some projects have."""

import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache


class CountingLocMemCache(LocMemCache):
    """LocMemCache that counts writes; stores its data like any LocMemCache."""

    writes = 0

    def set(self, *args, **kwargs):
        type(self).writes += 1
        return super().set(*args, **kwargs)


class ThreadLocalCache(LocMemCache):
    """A LocMemCache subclass that keeps its data per thread, in dicts of its own."""

    def __init__(self, name, params):
        super().__init__(name, params)
        self._local = threading.local()

    def _data(self) -> dict:
        if not hasattr(self._local, "data"):
            self._local.data = {}
        return self._local.data

    def get(self, key, default=None, version=None):
        return self._data().get(self.make_key(key, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._data()[self.make_key(key, version)] = value


class OwnStoreCache(LocMemCache):
    """A LocMemCache that only overrides ``__init__``: its data in dicts of its own.

    django-cache-memoize's test backend does this, per thread.
    """

    def __init__(self, name, params):
        super().__init__(name, params)
        self._cache = {}
        self._expire_info = {}


class Sealed(type):
    """A metaclass that forbids changing its classes once made."""

    def __setattr__(cls, name, value):
        raise TypeError(f"{cls.__name__} is final")


class SealedLocMemCache(LocMemCache, metaclass=Sealed):
    """A LocMemCache a project forbids to change (isolatedtest patches classes)."""


class RemoteApiCache(BaseCache):
    """A backend isolatedtest knows nothing about (it would call a remote API).

    Constructing it connects to nothing; tests never use it.
    """

    def __init__(self, location, params):
        super().__init__(params)
        self.location = location

    def get(self, key, default=None, version=None):
        raise NotImplementedError("RemoteApiCache must not be used in tests")


class WrappingCache(BaseCache):
    """A backend of the project's own that keeps its data in a LocMemCache."""

    def __init__(self, location, params):
        super().__init__(params)
        self._inner = LocMemCache(f"{location}-inner", {})

    def get(self, key, default=None, version=None):
        return self._inner.get(key, default, version)

    def set(self, key, value, timeout=None, version=None):
        return self._inner.set(key, value, timeout, version)
