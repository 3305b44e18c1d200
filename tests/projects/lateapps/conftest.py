import os

import django
import pytest
from django.conf import settings

if os.environ.get("FIXTURE_CONFIGURE") == "conftest":
    import settings as project_settings

    settings.configure(
        **{
            name: getattr(project_settings, name)
            for name in dir(project_settings)
            if name.isupper()
        }
    )


@pytest.fixture(scope="session", autouse=True)
def django_apps():
    """Load Django's apps, as a project without pytest-django does."""
    django.setup()
