"""xunit-style setup: setup_module and setup_class state, never cleaned up."""

from django.core.cache import cache


def setup_module(module):
    cache.set("xunit-module", 1)


class TestXunit:
    @classmethod
    def setup_class(cls):
        cache.set("xunit-class", 1)

    def test_sees_module_and_class_state(self):
        assert cache.get("xunit-module") == 1
        assert cache.get("xunit-class") == 1
        cache.set("xunit-class", 2)

    def test_sees_class_state_again(self):
        assert cache.get("xunit-class") == 1
