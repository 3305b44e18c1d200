"""Settings of the 'runners' fixture project.

TEST_RUNNER is the project's own DiscoverRunner subclass unless
FIXTURE_TEST_RUNNER names another.
"""

import os

SECRET_KEY = "isolatedtest-fixture-runners"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["isolatedtest", "runnersapp"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "runners-default",
    },
}
TEST_RUNNER = os.environ.get("FIXTURE_TEST_RUNNER", "project_runners.GreetingRunner")
