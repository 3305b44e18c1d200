"""Isolation on real Redis and Memcached servers, for ``tests/benchmark.py``.

Run as ``python tests/bench_servers.py [--tests N] [--rounds R]
[--unrelated K] [--workdir DIR]``; prints one JSON object on stdout and its
progress on stderr.

It starts its own servers on free loopback ports (never the default ones),
in a temp directory, and stops them at the end, on errors too (on Linux they
also get SIGTERM if this process dies): two ``redis-server`` and two
``memcached -m 1024``, one of each left empty and one holding K unrelated
keys (default 1,000,000) in the very database the caches use (Redis:
``DEBUG POPULATE K unrelated``, or pipelined MSETs where DEBUG is refused;
Memcached: pymemcache ``set_many`` with noreply, in batches). Two servers of
each kind, rather than one filled half-way through, let the empty and the
full case be measured in the same rounds.

For every backend whose client library is importable (Django's RedisCache,
django-redis's RedisCache, PyMemcacheCache, the same with
``OPTIONS={"no_delay": True}``, PyLibMCCache), the engine
(``SharedResource``, or ``RedisResource``, one engine per cache alias) is
driven
in-process around real cache operations, as ``tests/test_round_trips.py``
does, and measured on both servers:

- round trips, counted, not estimated: each switch from sending to
  receiving on a socket is one (``socket.socket`` wrapped, as in
  ``test_round_trips``). pylibmc talks to the server from C, so its requests
  go through a relay (a thread of this process) that counts the same way;
  pymemcache is counted both ways once, to check the relay. Per kind of
  test: the test's own operations on a plain instance of the same cache (no
  engine), and the same test under the engine.
- run start: round trips and time of the first operation of an isolated
  run (on Redis it sweeps dead runs' keys with SCAN MATCH) beside the same
  operation on a warm plain instance; both connections are opened before.
- time per test of a test that writes 3 keys, plain and isolated, on the
  empty and the full server: rounds of N tests, the order of the four
  variants rotating from one round to the next; wall time (the server's
  work included) and this process's CPU time.

Nothing here asserts on times. It stops with an error if isolation gives a
wrong answer (a class's key not visible in its test, a test's write visible
after it).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import importlib.util
import json
import math
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from roundtrips import counted_round_trips

START_TIMEOUT = 15  # seconds for a server to accept connections
KEY_PREFIX = "bench"
# Each Redis backend's database (Redis isolates databases, not aliases), where
# the unrelated keys go too.
REDIS_DBS = {"Django RedisCache": 1, "django-redis": 2}
FILL_BATCH = 10_000
COUNT_REPEAT = 3  # each count is repeated after one warm-up
WARM_UP = 10  # tests of each of 3 warm-up batches, to size a variant's rounds
MIN_TESTS = 20  # tests of a variant per timed round, at least
CLASS_KEYS = 5
SERVER_NAMES = ("empty", "full")

# Kinds of test: label, and the extra round trips a test may cost (None: no
# budget, a class-level cost).
KINDS = {
    "none": ("does not touch the cache", 0),
    "read": ("reads 1 key", 2),
    "write3": ("writes 3 keys", 2),
    "class": (f"class setup wrote {CLASS_KEYS} keys; reads 1, writes 1", 2),
    "raw": ("(Redis) a hash and a set through the raw client's pipeline", 2),
    "class_cost": (
        f"(per class) setup writing {CLASS_KEYS} keys, then the class's end",
        None,
    ),
}

_SOCKET = {name: getattr(socket.socket, name) for name in ("sendall", "recv")}


@dataclass(frozen=True)
class Backend:
    label: str
    path: str
    server: str  # "redis" or "memcached"
    module: str  # the client library it needs
    relay: bool = False  # its client is C code: count through the relay
    options: tuple[tuple[str, object], ...] = ()  # the cache's OPTIONS


BACKENDS = (
    Backend(
        "Django RedisCache",
        "django.core.cache.backends.redis.RedisCache",
        "redis",
        "redis",
    ),
    Backend("django-redis", "django_redis.cache.RedisCache", "redis", "django_redis"),
    Backend(
        "PyMemcacheCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "memcached",
        "pymemcache",
    ),
    # Django's default OPTIONS leave Nagle's algorithm on (pymemcache's
    # no_delay=False); the same backend with it off, for comparison.
    Backend(
        "PyMemcacheCache, no_delay",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "memcached",
        "pymemcache",
        options=(("no_delay", True),),
    ),
    Backend(
        "PyLibMCCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
        "memcached",
        "pylibmc",
        relay=True,
    ),
)


def log(message: str) -> None:
    print(f"  servers: {message}", file=sys.stderr, flush=True)


# --- Servers -----------------------------------------------------------------


@dataclass
class Server:
    kind: str  # "redis" or "memcached"
    name: str  # "empty" or "full"
    port: int
    process: subprocess.Popen
    version: str

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to send SIGTERM to this child when its parent dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _version(binary: str, flag: str) -> str:
    text = subprocess.run(
        [binary, flag], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"(?:v=|memcached )(\d+\.\d+\.\d+)", text)
    return found[1] if found else "unknown"


def start_server(kind: str, name: str, workdir: Path) -> Server:
    binary = shutil.which("redis-server" if kind == "redis" else "memcached")
    if binary is None:
        raise FileNotFoundError(f"{kind} is not installed")
    port = _free_port()
    directory = workdir / f"{kind}-{name}"
    directory.mkdir()
    if kind == "redis":
        version = _version(binary, "--version")
        command = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--databases",
            "4",
        ]
        if int(version.split(".")[0] if version[0].isdigit() else 0) >= 7:
            command += ["--enable-debug-command", "local"]  # DEBUG POPULATE
    else:
        version = _version(binary, "-V")
        user = ["-u", "root"] if os.geteuid() == 0 else []
        command = [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0"]
        command += ["-m", "1024", *user]
    output = (directory / "output.log").open("wb")
    process = subprocess.Popen(
        command,
        cwd=directory,
        stdout=output,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    output.close()
    server = Server(kind, name, port, process, version)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_server(server)
                text = (directory / "output.log").read_text(errors="replace")
                raise RuntimeError(
                    f"{' '.join(command)} did not start:\n{text[-2000:]}"
                ) from None
            time.sleep(0.05)


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextlib.contextmanager
def running_servers(
    kinds: set[str], workdir: Path
) -> Iterator[dict[tuple[str, str], Server]]:
    """Start an empty and a full server of each kind; stop them all at exit."""
    servers: dict[tuple[str, str], Server] = {}
    try:
        for kind in sorted(kinds):
            for name in SERVER_NAMES:
                servers[kind, name] = start_server(kind, name, workdir)
                log(f"{kind} ({name}) on {servers[kind, name].address}")
        yield servers
    finally:
        for server in servers.values():
            stop_server(server)
        if servers:
            log(f"stopped {len(servers)} servers")


def fill_redis(server: Server, count: int) -> dict:
    """Put ``count`` unrelated keys in each Redis backend's database."""
    import redis

    start = time.perf_counter()
    for db in REDIS_DBS.values():
        client = redis.Redis(host="127.0.0.1", port=server.port, db=db)
        try:
            client.execute_command("DEBUG", "POPULATE", count, "unrelated")
            how = f"DEBUG POPULATE {count} unrelated"
        except redis.ResponseError:
            for first in range(0, count, FILL_BATCH):
                last = min(count, first + FILL_BATCH)
                client.mset({f"unrelated:{n}": n for n in range(first, last)})
            how = f"MSET, {FILL_BATCH:,} keys at a time"
        keys = client.dbsize()
        client.close()
    seconds = (time.perf_counter() - start) / len(REDIS_DBS)
    return {"how": how, "seconds": seconds, "keys": keys}


def fill_memcached(server: Server, count: int) -> dict:
    from pymemcache.client.base import Client

    client = Client(("127.0.0.1", server.port))
    start = time.perf_counter()
    for first in range(0, count, FILL_BATCH):
        last = min(count, first + FILL_BATCH)
        client.set_many(
            {f"unrelated:{n}": b"x" for n in range(first, last)}, noreply=True
        )
    client.get("unrelated:0")  # answered after everything sent before it
    seconds = time.perf_counter() - start
    deadline = time.monotonic() + 30
    while True:  # let a growing hash table finish moving before timing
        stats = {_text(key): value for key, value in client.stats().items()}
        if not stats.get("hash_is_expanding") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    client.close()
    return {
        "how": f"pymemcache set_many with noreply, {FILL_BATCH:,} keys at a time",
        "seconds": seconds,
        "keys": int(stats.get("curr_items", -1)),
        "evictions": int(stats.get("evictions", 0)),
    }


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --- Counting round trips ------------------------------------------------------


class Relay:
    """A TCP relay to a server, counting round trips the way sockets are counted.

    Data from the client marks its connection as waiting; the first data
    back from the server after that is one round trip, counted before it is
    passed on (so the count is complete when the client has its answer).
    """

    def __init__(self, upstream_port: int) -> None:
        self.trips = 0
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select(timeout=0.1):
                if key.data is None:
                    self._accept()
                else:
                    self._forward(key.fileobj, *key.data)

    def _accept(self) -> None:
        client, _ = self._listener.accept()
        server = socket.create_connection(self._upstream)
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        state = {"waiting": False}
        self._selector.register(client, selectors.EVENT_READ, (server, True, state))
        self._selector.register(server, selectors.EVENT_READ, (client, False, state))

    def _forward(self, sock, peer, from_client: bool, state: dict) -> None:
        try:
            data = _SOCKET["recv"](sock, 65536)
        except OSError:
            data = b""
        if not data:
            for end in (sock, peer):
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(end)
                end.close()
            return
        if from_client:
            state["waiting"] = True
        elif state["waiting"]:
            state["waiting"] = False
            self.trips += 1
        _SOCKET["sendall"](peer, data)

    def close(self) -> None:
        self._stopping = True
        self._thread.join()
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()
        self._selector.close()


def count(action: Callable[[], object], relay: Relay | None) -> int:
    """Return the round trips ``action`` makes."""
    if relay is not None:
        before = relay.trips
        action()
        return relay.trips - before
    with counted_round_trips() as trips:
        action()
    return len(trips)


# --- Django and the engine ---------------------------------------------------------


def cache_params(backend: Backend, port: int, host: str = "127.0.0.1") -> dict:
    if backend.server == "redis":
        location = f"redis://{host}:{port}/{REDIS_DBS[backend.label]}"
    else:
        location = f"127.0.0.1:{port}"
    params = {"BACKEND": backend.path, "LOCATION": location, "KEY_PREFIX": KEY_PREFIX}
    if backend.options:
        params["OPTIONS"] = dict(backend.options)
    return params


def plain_instance(alias: str):
    """A new instance of ``alias``'s cache that no engine adopted.

    On Redis, an engine isolates every connection to its database: the plain
    instance reaches the server as "localhost" (another client's connections).
    """
    from django.core.cache import caches

    plain = f"{alias}|plain"
    return type(caches).create_connection(
        caches, plain if plain in caches.settings else alias
    )


@dataclass
class Isolated:
    """An engine isolating one alias, in a class scope with no state."""

    alias: str
    engine: object
    cache: object
    run_start: dict

    def test(self, body: Callable[[object], object]) -> None:
        self.engine.start_test()
        body(self.cache)
        self.engine.end_test()


def start_isolated(alias: str, relay: Relay | None) -> Isolated:
    """Start a run isolating ``alias`` alone; measure its first operation."""
    from django.core.cache import caches
    from engines import Run

    from isolatedtest.conf import Config, run_id
    from isolatedtest.resources.shared import SharedResource

    instance = type(caches).create_connection(caches, alias)  # adopted below
    instance.get("warm-up")  # connect now: the handshake is not the engine's
    plain_ns = time.perf_counter_ns()
    plain_trips = count(lambda: instance.get("first"), relay)
    plain_ns = time.perf_counter_ns() - plain_ns
    setattr(caches._connections, alias, instance)  # adopted in place below
    others = frozenset(name for name in caches.settings if name != alias)
    config = Config(exclude_aliases=others)
    if "redis" in caches.settings[alias]["BACKEND"].lower():
        from isolatedtest.backends.redis import RedisResource

        resource = RedisResource(config, reset=True, run_id=run_id())
    else:
        resource = SharedResource(config, reset=True, run_id=run_id())
    engine = Run(resource)  # a class's scope, with no state
    start_ns = time.perf_counter_ns()
    trips = count(lambda: instance.get("first"), relay)
    start_ns = time.perf_counter_ns() - start_ns
    run_start = {
        "trips": trips,
        "plain_trips": plain_trips,
        "ms": start_ns / 1e6,
        "plain_ms": plain_ns / 1e6,
    }
    return Isolated(alias, engine, instance, run_start)


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise RuntimeError(f"isolation gave a wrong answer: {what}")


def _write3(cache) -> None:
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("c", 3)


def _class_test(cache) -> None:
    _expect(cache.get("class-0") == 0, "the class's key is not visible")
    cache.set("x", 1)


def _class_setup(cache) -> None:
    for n in range(CLASS_KEYS):
        cache.set(f"class-{n}", n)


def _raw_pipeline(cache) -> None:
    """Write a hash and a set through the client under the cache (Redis)."""
    if hasattr(cache, "client"):  # django-redis
        client = cache.client.get_client(write=True)
    else:
        client = cache._cache.get_client(write=True)
    client.pipeline().hset("h", "f", "v").sadd("s", "m").execute()


BODIES: dict[str, Callable[[object], object]] = {
    "none": lambda cache: None,
    "read": lambda cache: cache.get("k"),
    "write3": _write3,
    "class": _class_test,
    "raw": _raw_pipeline,
}
ALONE = ("none", "read", "write3", "raw")  # kinds of test run in a class with no state


def _kinds(cache) -> list[str]:
    """The kinds of test a backend runs ("raw" needs a Redis client)."""
    redis = "redis" in type(cache).__module__
    return [kind for kind in BODIES if redis or kind != "raw"]


def count_plain(alias: str, relay: Relay | None) -> dict[str, list[int]]:
    """Round trips of each kind of test's own operations, with no engine."""
    cache = plain_instance(alias)
    _class_setup(cache)  # the class's state, for the "class" test to read
    counts: dict[str, list[int]] = {}
    for kind in _kinds(cache):
        body = BODIES[kind]
        body(cache)  # warm-up
        counts[kind] = [
            count(lambda body=body: body(cache), relay) for _ in range(COUNT_REPEAT)
        ]
    counts["class_cost"] = [
        count(lambda: _class_setup(cache), relay) for _ in range(COUNT_REPEAT)
    ]
    cache.close()
    return counts


def count_isolated(isolated: Isolated, relay: Relay | None) -> dict[str, list[int]]:
    """Round trips of each kind of test, run by the engine."""
    counts: dict[str, list[int]] = {}
    for kind in [kind for kind in _kinds(isolated.cache) if kind in ALONE]:
        body = BODIES[kind]
        isolated.test(body)  # warm-up
        counts[kind] = [
            count(lambda body=body: isolated.test(body), relay)
            for _ in range(COUNT_REPEAT)
        ]
    isolated.test(lambda cache: _expect(cache.get("a") is None, "a test's write"))
    engine, cache = isolated.engine, isolated.cache
    counts["class"], counts["class_cost"] = [], []
    for repeat in range(COUNT_REPEAT + 1):  # the first is a warm-up
        engine.end_class()
        setup = count(lambda: _class_setup(cache), relay)
        test = count(lambda: isolated.test(_class_test), relay)
        isolated.test(lambda cache: _expect(cache.get("x") is None, "a test's write"))
        end = count(engine.end_class, relay)  # the next class has no state
        if repeat:
            counts["class"].append(test)
            counts["class_cost"].append(setup + end)
    return counts


# --- Timing ------------------------------------------------------------------------


def plain_batch(cache) -> Callable[[int], None]:
    set_ = cache.set

    def run(n: int) -> None:
        for i in range(n):
            set_("a", i)
            set_("b", i)
            set_("c", i)

    return run


def isolated_batch(isolated: Isolated) -> Callable[[int], None]:
    start, end = isolated.engine.start_test, isolated.engine.end_test
    set_ = isolated.cache.set

    def run(n: int) -> None:
        for i in range(n):
            start()
            set_("a", i)
            set_("b", i)
            set_("c", i)
            end()

    return run


def time_variants(
    variants: dict[str, Callable[[int], None]], n: int, rounds: int, target: float
) -> dict[str, dict]:
    """Time each variant ``rounds`` times, rotating their order each round.

    A round runs ``n`` tests of each variant, or fewer for a variant so slow
    that ``n`` tests would take more than ``target`` seconds (at least
    MIN_TESTS): its size is set from the fastest of three warm-up batches.
    """
    sizes = {}
    for name, run in variants.items():
        per_test = math.inf
        for _ in range(3):
            start = time.perf_counter()
            run(WARM_UP)
            per_test = min(per_test, (time.perf_counter() - start) / WARM_UP)
        sizes[name] = max(MIN_TESTS, min(n, int(target / per_test)))
        run(max(0, min(sizes[name] // 10, n // 10) - WARM_UP))  # more warm-up
    names = list(variants)
    samples = {
        name: {"tests": sizes[name], "wall_us": [], "cpu_us": []} for name in names
    }
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in [*names[shift:], *names[:shift]]:
            size = sizes[name]
            gc.collect()
            wall, cpu = time.perf_counter_ns(), time.process_time_ns()
            variants[name](size)
            wall, cpu = time.perf_counter_ns() - wall, time.process_time_ns() - cpu
            samples[name]["wall_us"].append(wall / 1000 / size)
            samples[name]["cpu_us"].append(cpu / 1000 / size)
    return samples


def redis_keys_left(server: Server) -> int:
    """Keys under isolatedtest's mark still on ``server`` (after the runs)."""
    import redis

    found = 0
    for db in REDIS_DBS.values():
        client = redis.Redis(host="127.0.0.1", port=server.port, db=db)
        found += sum(1 for _ in client.scan_iter(match="isolatedtest:*"))
        client.close()
    return found


# --- Orchestration -----------------------------------------------------------------


def measure(args: argparse.Namespace, workdir: Path) -> dict:
    result: dict = {
        "tests": args.tests,
        "rounds": args.rounds,
        "target": args.target,
        "unrelated": args.unrelated,
        "count_repeat": COUNT_REPEAT,
        "kinds": {kind: label for kind, (label, _) in KINDS.items()},
        "budgets": {kind: budget for kind, (_, budget) in KINDS.items()},
        "skipped": {},
        "servers": {},
        "fill": {},
        "backends": {},
    }
    backends = []
    for backend in BACKENDS:
        if args.backends and backend.label not in args.backends:
            continue
        binary = "redis-server" if backend.server == "redis" else "memcached"
        if importlib.util.find_spec(backend.module) is None:
            result["skipped"][backend.label] = f"{backend.module} is not importable"
        elif shutil.which(binary) is None:
            result["skipped"][backend.label] = f"{binary} is not installed"
        else:
            backends.append(backend)
    if not backends:
        return result
    with running_servers({b.server for b in backends}, workdir) as servers:
        for (kind, name), server in servers.items():
            result["servers"][kind] = server.version
            if name == "full":
                fill = fill_redis if kind == "redis" else fill_memcached
                result["fill"][kind] = fill(server, args.unrelated)
                log(
                    f"{kind} ({name}): {result['fill'][kind]['keys']:,} keys "
                    f"in {result['fill'][kind]['seconds']:.1f} s"
                )
        _measure_backends(backends, servers, args, result)
    return result


def _measure_backends(backends, servers, args, result: dict) -> None:
    from django.conf import settings

    relays: dict[str, Relay] = {}
    aliases: dict[str, dict] = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    }
    for backend in backends:
        for name in SERVER_NAMES:
            port = servers[backend.server, name].port
            aliases[f"{backend.label}|{name}"] = cache_params(backend, port)
            if backend.server == "redis":
                aliases[f"{backend.label}|{name}|plain"] = cache_params(
                    backend, port, host="localhost"
                )
            if backend.relay or (backend.label, name) == ("PyMemcacheCache", "empty"):
                relays[f"{backend.label}|{name}"] = Relay(port)
                aliases[f"{backend.label}|{name}|relay"] = cache_params(
                    backend, relays[f"{backend.label}|{name}"].port
                )
    settings.configure(CACHES=aliases, USE_TZ=True)
    from django.core.cache import caches

    engines: dict[str, Isolated] = {}
    try:
        for backend in backends:
            data = result["backends"][backend.label] = {
                "backend": backend.path,
                "options": dict(backend.options),
                "counted_with": "relay" if backend.relay else "sockets",
                "round_trips": {},
                "run_start": {},
            }
            for name in SERVER_NAMES:
                alias = f"{backend.label}|{name}"
                relay = relays[alias] if backend.relay else None
                counted = f"{alias}|relay" if backend.relay else alias
                engines[counted] = start_isolated(counted, relay)
                data["run_start"][name] = engines[counted].run_start
                if name == "empty":
                    data["round_trips"]["own"] = count_plain(counted, relay)
                data["round_trips"][name] = count_isolated(engines[counted], relay)
            if backend.label == "PyMemcacheCache":
                relay = relays[f"{backend.label}|empty"]
                alias = f"{backend.label}|empty|relay"
                engines[alias] = start_isolated(alias, relay)
                result["relay_check"] = {
                    "backend": backend.label,
                    "sockets": data["round_trips"]["empty"],
                    "relay": count_isolated(engines[alias], relay),
                }
            log(f"{backend.label}: round trips counted")
        for alias in [alias for alias in engines if alias.endswith("|relay")]:
            _end(engines.pop(alias))  # before its relay closes
        for relay in relays.values():  # no thread of ours runs while timing
            relay.close()
        relays.clear()
        for backend in backends:
            variants = {}
            for name in SERVER_NAMES:
                alias = f"{backend.label}|{name}"
                if alias not in engines:
                    engines[alias] = start_isolated(alias, None)
                variants[f"plain|{name}"] = plain_batch(plain_instance(alias))
                variants[f"isolated|{name}"] = isolated_batch(engines[alias])
            started = time.perf_counter()
            result["backends"][backend.label]["timing"] = time_variants(
                variants, args.tests, args.rounds, args.target
            )
            log(
                f"{backend.label}: {args.rounds} rounds of {args.tests:,} tests x "
                f"{len(variants)} variants in {time.perf_counter() - started:.1f} s"
            )
    finally:
        for isolated in engines.values():
            _end(isolated)
        for relay in relays.values():
            relay.close()
        vars(caches).pop("create_connection", None)  # the handler's own again
    for backend in backends:
        if backend.server == "redis":
            result["backends"][backend.label]["keys_left"] = {
                name: redis_keys_left(servers["redis", name]) for name in SERVER_NAMES
            }


def _end(isolated: Isolated) -> None:
    """End the class and the run: the run deletes what it still holds."""
    isolated.engine.end_class()
    isolated.engine.end_run()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=2_000, help="tests per round")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds")
    parser.add_argument(
        "--target",
        type=float,
        default=1.0,
        help="seconds a variant's round may last: fewer tests for a slow one",
    )
    parser.add_argument(
        "--unrelated",
        type=int,
        default=1_000_000,
        help="unrelated keys on the full servers",
    )
    parser.add_argument("--workdir", help="make the servers' temp dir here")
    parser.add_argument(
        "--backends",
        type=lambda text: text.split(","),
        help="comma-separated labels of the backends to measure (default: all): "
        + ", ".join(backend.label for backend in BACKENDS),
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like an error: the servers are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    workdir = Path(tempfile.mkdtemp(prefix="isolatedtest-servers-", dir=args.workdir))
    try:
        result = measure(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
