"""Settings of the 'pytestproj' fixture project: a pytest-django style suite.

FIXTURE_CACHE (JSON) replaces the "default" alias (a server the test suite
started); FIXTURE_EXTRA_CACHES (JSON) adds aliases; FIXTURE_ISOLATEDTEST
(JSON) sets ISOLATEDTEST.
"""

import json
import os

SECRET_KEY = "isolatedtest-fixture-pytest"
USE_TZ = True
INSTALLED_APPS = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

ROOT_URLCONF = "urls"
STATIC_URL = "/static/"
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": "pytest-default"}}
if "FIXTURE_CACHE" in os.environ:
    CACHES["default"] = json.loads(os.environ["FIXTURE_CACHE"])
CACHES.update(json.loads(os.environ.get("FIXTURE_EXTRA_CACHES", "{}")))
if "FIXTURE_ISOLATEDTEST" in os.environ:
    ISOLATEDTEST = json.loads(os.environ["FIXTURE_ISOLATEDTEST"])
