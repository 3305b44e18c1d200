"""Settings of the 'kinds' fixture project: one test class per kind of test."""

SECRET_KEY = "isolatedtest-fixture-kinds"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["isolatedtest", "kindsapp"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "kindsapp.urls"
STATIC_URL = "static/"
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kinds-default",
    },
}
