"""The sweep of dead runs' Redis namespaces never takes a live process's keys.

A run's first command to a server deletes the namespaces of processes that
are certainly gone. A process is named in its namespace by a tag of where
its pid means something (host name, boot, PID namespace) and its pid: one of
this machine is gone when its pid is (a stopped one is alive); any other,
when its liveness record is (a day unrefreshed). These tests write
namespaces as other processes would, then let a run start.
"""

import os
import signal
import socket
import subprocess
import sys
import zlib

import pytest

from isolatedtest.conf import host_tag

DB = 5
MARK = "isolatedtest:"


def namespace(client, process: str, live: bytes | None = None) -> list[bytes]:
    """Write a process's keys (and maybe its liveness record); return them."""
    owner = f"{MARK}sweep-test:{process}:"
    keys = [f"{owner}00000001:pre:1:a".encode(), f"{owner}00000002:pre:1:b".encode()]
    for key in keys:
        client.set(key, b"1")
    if live is not None:
        client.set(f"{owner}live", live, ex=3600)
        keys.append(f"{owner}live".encode())
    return keys


@pytest.fixture
def client(redis_server):
    import redis

    client = redis.Redis(host=redis_server.host, port=redis_server.port, db=DB)
    yield client
    client.flushdb()  # this test's own database on the suite's own server


@pytest.fixture
def start_run(manage, server_cache, redis_server):
    """Run a test module that uses the database: its first command sweeps."""
    cache = {
        **server_cache("redis"),
        "LOCATION": f"redis://{redis_server.address}/{DB}",
    }

    def run():
        done = manage(
            "shared",
            "isolatedtest",
            "sharedapp.tests.test_claims",
            env={"FIXTURE_CACHE": cache},
        )
        assert done.returncode == 0, done.log

    return run


def a_dead_pid() -> int:
    ended = subprocess.Popen(["true"])
    ended.wait()
    return ended.pid


def test_a_stopped_process_of_this_machine_keeps_its_keys(client, start_run):
    stopped = subprocess.Popen(["sleep", "600"])
    os.kill(stopped.pid, signal.SIGSTOP)
    try:
        # Stopped for longer than any liveness record lasts: none is left.
        kept = namespace(client, f"{host_tag()}-{stopped.pid}-aaaa")
        swept = namespace(client, f"{host_tag()}-{a_dead_pid()}-bbbb")
        start_run()
        assert sorted(client.keys(f"{MARK}sweep-test:*")) == sorted(kept)
        assert not set(swept) & set(client.keys("*"))
    finally:
        stopped.kill()
        stopped.wait()


def test_a_process_of_another_pid_namespace_keeps_its_keys_while_it_lives(
    client, start_run
):
    # Another container with this host name: its pids mean nothing here.
    tag = "from isolatedtest.conf import host_tag; print(host_tag())"
    other = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", tag],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert other and other != host_tag()
    pid = a_dead_pid()  # no such process here
    living = namespace(client, f"{other}-{pid}-cccc", live=other.encode())
    gone = namespace(client, f"{other}-{pid}-dddd")  # its record expired
    # An older release's namespace: only its pid; its record has the host name.
    older_tag = f"{zlib.crc32(socket.gethostname().encode()):08x}".encode()
    older = namespace(client, f"{pid}-eeee", live=older_tag)
    start_run()
    assert sorted(client.keys(f"{MARK}sweep-test:*")) == sorted(living + older)
    assert not set(gone) & set(client.keys("*"))
