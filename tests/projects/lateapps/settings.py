"""Settings of the 'lateapps' fixture project: Django set up by a fixture.

Run without pytest-django (``-p no:django``): either DJANGO_SETTINGS_MODULE
names this module, or conftest.py passes it to ``settings.configure()``
(FIXTURE_CONFIGURE=conftest); a session fixture calls ``django.setup()``.
"""

SECRET_KEY = "isolatedtest-fixture-lateapps"
USE_TZ = True
SITE_ID = 1
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.sites", "isolatedtest"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "lateapps",
    }
}
