"""Settings of the 'outside' fixture project: caches outside the cache framework.

FIXTURE_ISOLATEDTEST (JSON) sets ISOLATEDTEST.
"""

import json
import os

SECRET_KEY = "isolatedtest-fixture-outside"
DEBUG = False
USE_TZ = True
SITE_ID = 1
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sites",
    "isolatedtest",
    "shop",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "outside",
    }
}

if "FIXTURE_ISOLATEDTEST" in os.environ:
    ISOLATEDTEST = json.loads(os.environ["FIXTURE_ISOLATEDTEST"])
