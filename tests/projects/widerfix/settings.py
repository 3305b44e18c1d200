"""Settings of the 'widerfix' fixture project: wider fixtures that delete and clear.

FIXTURE_CACHE (JSON) replaces the "default" alias (a server the test suite
started).
"""

import json
import os

SECRET_KEY = "isolatedtest-fixture-widerfix"
USE_TZ = True
INSTALLED_APPS = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "widerfix",
    }
}
if "FIXTURE_CACHE" in os.environ:
    CACHES["default"] = json.loads(os.environ["FIXTURE_CACHE"])
