from django.apps import AppConfig
from django.core import checks


class IsolatedTestConfig(AppConfig):
    name = "isolatedtest"
    verbose_name = "isolatedtest"

    def ready(self) -> None:
        from isolatedtest.checks import check_settings

        checks.register(check_settings)
