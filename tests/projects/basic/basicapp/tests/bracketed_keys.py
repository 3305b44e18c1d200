"""A leak whose key has fnmatch's special characters (run by its label only).

Not named test_*.py: discovery leaves it out of the project's other runs.
"""

from django.core.cache import cache
from django.test import SimpleTestCase


class BracketedTests(SimpleTestCase):
    def test_leaves_a_page_key(self):
        cache.set("page[1]?", "cached")
