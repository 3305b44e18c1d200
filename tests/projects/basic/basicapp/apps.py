import os

from django.apps import AppConfig


class BasicAppConfig(AppConfig):
    name = "basicapp"

    def ready(self):
        # Some projects warm their caches at startup; FIXTURE_WRITE_AT_STARTUP
        # makes this one do so.
        if os.environ.get("FIXTURE_WRITE_AT_STARTUP"):
            from django.core.cache import cache

            cache.set("startup:key", "warm")
