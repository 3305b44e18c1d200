"""Isolation changes nothing but what tests leak into each other.

Each test here runs a real ``manage.py`` and checks one way isolatedtest
once differed from plain ``test``: what it kept, what it reported, what a
test saw.
"""

from __future__ import annotations


def test_a_test_that_leaked_is_let_go_when_it_ends(manage):
    label = "basicapp.tests.test_release"
    plain = manage("basic", "test", label)
    assert plain.returncode == 0, plain
    run = manage("basic", "isolatedtest", label)
    assert run.returncode == 0, run
    assert run.summary.startswith("isolatedtest: 1 test left cache state behind"), run
