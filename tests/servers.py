"""Real Redis and Memcached servers on free loopback ports, for the test session.

The suite starts its own servers (never the default ports, never anyone's
data) and stops them at the end. Where a server binary is missing, tests
that need it are skipped on a developer's machine and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 15  # seconds for a server to accept connections


@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen
    socket: str = ""  # a unix socket it also listens on, if asked for

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _require(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is not installed (Debian: apt-get install {binary})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the shared-server tests")
        pytest.skip(message)
    return path


def _wait_until_accepting(server: Server) -> None:
    """Connect until the server accepts, or fail with its output."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"server on {server.address} exited early")
        try:
            socket.create_connection((server.host, server.port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"server on {server.address} never accepted"
                ) from None


def _start(command: list[str], port: int) -> Server:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = Server("127.0.0.1", port, process)
    _wait_until_accepting(server)
    return server


def start_redis(directory, unix_socket: bool = False) -> Server:
    """Start a private redis-server on a free loopback port (16 databases).

    With ``unix_socket``, it also listens on a socket in ``directory``.
    """
    binary = _require("redis-server")
    port = _free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(directory), "--databases", "16"]
    socket_path = str(Path(directory) / "redis.sock") if unix_socket else ""
    if socket_path:
        command += ["--unixsocket", socket_path, "--unixsocketperm", "700"]
    server = _start(command, port)
    server.socket = socket_path
    return server


def start_memcached() -> Server:
    """Start a private memcached on a free loopback port."""
    binary = _require("memcached")
    port = _free_port()
    user = ["-u", "root"] if os.geteuid() == 0 else []
    return _start([binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", *user], port)


def stop(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    stop(server)


@pytest.fixture(scope="session")
def memcached_server():
    server = start_memcached()
    yield server
    stop(server)


REDIS_BACKENDS = {
    "redis": "django.core.cache.backends.redis.RedisCache",
    "django-redis": "django_redis.cache.RedisCache",
}
MEMCACHED_BACKENDS = {
    "pymemcache": "django.core.cache.backends.memcached.PyMemcacheCache",
    "pylibmc": "django.core.cache.backends.memcached.PyLibMCCache",
}
ALL_BACKENDS = [*REDIS_BACKENDS, *MEMCACHED_BACKENDS, "file", "db"]


@pytest.fixture
def prefix():
    """A KEY_PREFIX of this test's own, so runs of other tests never interfere."""
    return f"shop-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def server_cache(request, prefix, tmp_path):
    """Return ``config(backend) -> CACHES entry`` on this session's servers."""

    def config(backend: str) -> dict:
        if backend in REDIS_BACKENDS:
            server = request.getfixturevalue("redis_server")
            location = f"redis://{server.address}/1"
            return {
                "BACKEND": REDIS_BACKENDS[backend],
                "LOCATION": location,
                "KEY_PREFIX": prefix,
            }
        if backend == "pylibmc":
            # pylibmc has no wheel for Python 3.12+ (see pyproject.toml).
            pytest.importorskip("pylibmc", reason="pylibmc is not installed")
        if backend in MEMCACHED_BACKENDS:
            server = request.getfixturevalue("memcached_server")
            return {
                "BACKEND": MEMCACHED_BACKENDS[backend],
                "LOCATION": server.address,
                "KEY_PREFIX": prefix,
            }
        if backend == "file":
            return {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "file-cache"),
                "KEY_PREFIX": prefix,
            }
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "isolatedtest_cache",
            "KEY_PREFIX": prefix,
        }

    return config
