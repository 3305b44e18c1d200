"""The second test fails if it sees what the first left in the cache."""

from django.core.cache import cache


def test_a_leaves_a_key():
    from django.contrib.contenttypes.models import ContentType  # apps loaded now

    cache.set("late-key", "left")
    assert ContentType._meta.app_label == "contenttypes"


def test_b_does_not_see_it():
    assert cache.get("late-key") is None
