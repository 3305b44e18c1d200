"""Count a client's round trips to its servers (tests and benchmark share it)."""

from __future__ import annotations

import socket
from contextlib import contextmanager


@contextmanager
def counted_round_trips():
    """Count the times a client sends requests and then waits for the answer.

    Requests sent back to back (a pipeline) and then answered are one round
    trip; requests sent without waiting (memcached's noreply) are none.
    """
    trips = []
    waiting: dict[int, bool] = {}
    originals = {
        name: getattr(socket.socket, name) for name in ("sendall", "recv", "recv_into")
    }

    def sendall(sock, *args, **kwargs):
        waiting[id(sock)] = True
        return originals["sendall"](sock, *args, **kwargs)

    def reader(name):
        def read(sock, *args, **kwargs):
            if waiting.pop(id(sock), False):
                trips.append(sock.getpeername())
            return originals[name](sock, *args, **kwargs)

        return read

    socket.socket.sendall = sendall
    socket.socket.recv = reader("recv")
    socket.socket.recv_into = reader("recv_into")
    try:
        yield trips
    finally:
        for name, original in originals.items():
            setattr(socket.socket, name, original)
