"""Doctests of compatapp.docs, added to the suite by the load_tests protocol."""

import doctest

from compatapp import docs


def load_tests(loader, tests, pattern):
    tests.addTests(doctest.DocTestSuite(docs))
    return tests
