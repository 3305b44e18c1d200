"""Writes from pytest-django's live server thread belong to the test."""

from urllib.request import urlopen


def test_first_visit(live_server):
    with urlopen(f"{live_server.url}/visit/") as response:
        assert response.read() == b"1"


def test_first_visit_again(live_server):
    with urlopen(f"{live_server.url}/visit/") as response:
        assert response.read() == b"1"
