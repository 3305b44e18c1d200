"""Settings for the demo shop: SQLite and the local-memory cache by default.

DEMO_CACHE_URL puts the cache on a shared server instead, as CI jobs and
parallel workers usually have it: ``redis://host:port/db`` for Redis,
``memcached://host:port`` for Memcached.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.sites",
    "shop",
    "isolatedtest",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "demo.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "demo",
    }
}
if os.environ.get("DEMO_CACHE_URL", "").startswith("redis://"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["DEMO_CACHE_URL"],
        "KEY_PREFIX": os.environ.get("DEMO_KEY_PREFIX", "demo"),
    }
elif os.environ.get("DEMO_CACHE_URL", "").startswith("memcached://"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": os.environ["DEMO_CACHE_URL"].removeprefix("memcached://"),
        "KEY_PREFIX": os.environ.get("DEMO_KEY_PREFIX", "demo"),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
