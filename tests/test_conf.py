"""The ISOLATEDTEST setting: accepted forms and the errors a typo gets."""

import re

import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(CACHES={})

from django.test import override_settings

from isolatedtest.conf import Config, ConfigurationError, load_config

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def load(value):
    with override_settings(CACHES=CACHES, ISOLATEDTEST=value):
        return load_config()


def test_a_missing_setting_means_defaults():
    with override_settings(CACHES=CACHES):
        assert load_config() == Config()


def test_a_valid_setting_is_read():
    config = load({"EXCLUDE_ALIASES": ["default"], "PERSISTENT_KEYS": ["t:*"]})
    assert config == Config(frozenset({"default"}), ("t:*",))
    assert config.persistent_matcher().match("t:1")
    assert not config.persistent_matcher().match("x:t:1")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"EXCLUDE_ALIAS": []}, "unknown key(s) 'EXCLUDE_ALIAS'"),
        ({"EXCLUDE_ALIASES": ["locks"]}, "names 'locks', which CACHES does not"),
        ({"EXCLUDE_ALIASES": "default"}, "must be a list of strings"),
        ({"PERSISTENT_KEYS": [1]}, "1 is not a string"),
        (["default"], "must be a dict"),
    ],
)
def test_a_typo_is_a_clear_error(value, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        load(value)
