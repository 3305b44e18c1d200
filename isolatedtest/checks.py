"""System check: a wrong ISOLATEDTEST setting is reported before any test runs."""

from django.core import checks

from isolatedtest.conf import ConfigurationError, load_config


def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        load_config()
    except ConfigurationError as error:
        return [
            checks.Error(
                str(error),
                hint="See the 'Settings' section of isolatedtest's README.",
                id="isolatedtest.E001",
            )
        ]
    return []
