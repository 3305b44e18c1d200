"""Settings of the 'shared' fixture project: one cache on a shared server.

FIXTURE_CACHE (JSON) is the "default" alias, pointing at a server the test
suite started. FIXTURE_UNREACHABLE (a LOCATION) adds a Redis alias "flaky"
on a port nothing listens on. FIXTURE_EXTRA_CACHES (JSON) adds aliases.
FIXTURE_ISOLATEDTEST (JSON) sets ISOLATEDTEST.
"""

import json
import os

SECRET_KEY = "isolatedtest-fixture-shared"
USE_TZ = True
INSTALLED_APPS = ["isolatedtest", "sharedapp"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "urls"
STATIC_URL = "/static/"
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

CACHES = {"default": json.loads(os.environ["FIXTURE_CACHE"])}
if "FIXTURE_UNREACHABLE" in os.environ:
    CACHES["flaky"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["FIXTURE_UNREACHABLE"],
    }
CACHES.update(json.loads(os.environ.get("FIXTURE_EXTRA_CACHES", "{}")))
if "FIXTURE_ISOLATEDTEST" in os.environ:
    ISOLATEDTEST = json.loads(os.environ["FIXTURE_ISOLATEDTEST"])
