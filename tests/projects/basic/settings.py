"""Settings of the 'basic' fixture project.

Environment variables let a test vary what it needs without another project:
FIXTURE_EXTRA_CACHES (JSON) adds aliases to CACHES, FIXTURE_ISOLATEDTEST (JSON)
sets ISOLATEDTEST.
"""

import json
import os

SECRET_KEY = "isolatedtest-fixture-basic"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["isolatedtest", "basicapp"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
CACHES = {
    "default": {"BACKEND": LOCMEM, "LOCATION": "basic-default"},
    # A prefix and a version the reports must strip from keys.
    "other": {"BACKEND": LOCMEM, "LOCATION": "basic-other", "KEY_PREFIX": "pre"},
    "dummy": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
CACHES.update(json.loads(os.environ.get("FIXTURE_EXTRA_CACHES", "{}")))

if "FIXTURE_ISOLATEDTEST" in os.environ:
    ISOLATEDTEST = json.loads(os.environ["FIXTURE_ISOLATEDTEST"])
