"""Doctests, loaded by compatapp/tests/test_doctests.py through load_tests."""


def first():
    """Write a key; see it and nothing another test wrote.

    >>> from django.core.cache import cache
    >>> from compatapp.keys import ALL_KEYS
    >>> cache.set("doctest:a", "a")
    >>> cache.get_many(ALL_KEYS)
    {'doctest:a': 'a'}
    """


def second():
    """The same, with another key: under plain `test` it sees the first one's.

    >>> from django.core.cache import cache
    >>> from compatapp.keys import ALL_KEYS
    >>> cache.set("doctest:b", "b")
    >>> cache.get_many(ALL_KEYS)
    {'doctest:b': 'b'}
    """
