"""Settings of the 'compat' fixture project: Django, DRF and runner features.

Environment variables let tests/test_compat.py vary what it needs:
FIXTURE_ISOLATEDTEST (JSON) sets ISOLATEDTEST, FIXTURE_TEST_DB names a file
for the test database (for --keepdb), FIXTURE_XML_FILE names the report that
unittest-xml-reporting's Django runner writes.

DRF is optional here: without it, its app, URL and test module are left out.
"""

import json
import os
from importlib.util import find_spec
from pathlib import Path

HAS_DRF = find_spec("rest_framework") is not None

SECRET_KEY = "isolatedtest-fixture-compat"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django.contrib.staticfiles", "isolatedtest", "compatapp"]
if HAS_DRF:
    INSTALLED_APPS.append("rest_framework")
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
if "FIXTURE_TEST_DB" in os.environ:
    DATABASES["default"]["TEST"] = {"NAME": os.environ["FIXTURE_TEST_DB"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "compatapp.urls"
STATIC_URL = "/static/"
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "compat-default",
    },
}

# Anonymous clients may make 3 requests a minute; DRF keeps the history of
# requests in the default cache, under a key made of the client's address.
REST_FRAMEWORK = {
    "DEFAULT_THROTTLE_RATES": {"anon": "3/min"},
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}

if "FIXTURE_ISOLATEDTEST" in os.environ:
    ISOLATEDTEST = json.loads(os.environ["FIXTURE_ISOLATEDTEST"])

# unittest-xml-reporting's Django runner (xmlrunner.extra.djangotestrunner).
if "FIXTURE_XML_FILE" in os.environ:
    _xml = Path(os.environ["FIXTURE_XML_FILE"])
    TEST_OUTPUT_DIR = str(_xml.parent)
    TEST_OUTPUT_FILE_NAME = _xml.name
    TEST_OUTPUT_VERBOSE = 2
