"""django-redis's own tests give the same outcome, test by test, under isolation.

tests/conformance_redis.py runs django-redis's ``tests/`` (from the sdist of
the installed release) for every settings variant that needs only a Redis
server (but gzip's, whose set tests fail at random: see LEFT_OUT) with
pytest, plainly and with isolatedtest's plugin, serially and on two
pytest-xdist workers. Four chains
of runs, each on a server of its own (plain runs flush theirs), start with
the test session and go on while the other tests run (conftest.py puts these
tests last): the suite mostly sleeps, waiting for keys to expire.

Before the isolated runs, keys that are not theirs are put on their server
(in the databases the variants use, under another prefix, and in databases
none uses); after them, each must be there byte for byte, and no key of the
runs may remain.
"""

from __future__ import annotations

import threading
from importlib.metadata import version

import conformance
import conformance_redis
import pytest
from servers import start_redis, stop

CHAINS = [(1, False), (1, True), (2, False), (2, True)]  # (workers, isolated)
DATABASES = range(16)
MARK = b"isolatedtest:"


def foreign_keys(server) -> dict[tuple[int, bytes], bytes]:
    """Put keys that are not the run's on a server; return their dumps."""
    keys = {}
    for db in DATABASES:
        client = redis_client(server, db)
        client.set(b"other-app:1:session", b"payload")
        client.set(b":1:claim", b"a value outside the run", ex=3600)
        client.hset(b"other-app:hash", mapping={b"field": b"value"})
        for key in (b"other-app:1:session", b":1:claim", b"other-app:hash"):
            keys[db, key] = client.dump(key)
    return keys


def redis_client(server, db: int):
    import redis

    return redis.Redis(host=server.host, port=server.port, db=db)


class Chain(threading.Thread):
    """One chain of runs: its server, its outcomes, what its checks found."""

    def __init__(self, source, work, workers: int, isolated: bool) -> None:
        super().__init__(daemon=True)
        self.source, self.work = source, work
        self.workers, self.isolated = workers, isolated
        self.server = start_redis(work, unix_socket=True)
        self.outcomes: dict[str, str] = {}
        self.problems: list[str] = []
        self.error: BaseException | None = None
        self._foreign: dict = {}

    def run(self) -> None:
        try:
            target = conformance_redis.Target(self.server.address, self.server.socket)
            if self.isolated:
                self._foreign = foreign_keys(self.server)
            self.outcomes = conformance_redis.run_chain(
                self.source, self.work, target, self.isolated, self.workers
            )
            if self.isolated:
                self._check()
        except BaseException as error:
            self.error = error

    def _check(self) -> None:
        """After isolated runs: foreign keys intact, no key of the runs left."""
        for db in DATABASES:
            client = redis_client(self.server, db)
            left = list(client.scan_iter(match=MARK + b"*"))
            if left:
                self.problems.append(f"db {db} kept {left[:5]}")
            for (key_db, key), dumped in self._foreign.items():
                if key_db == db and client.dump(key) != dumped:
                    self.problems.append(f"db {db} changed {key!r}")


def start_runs(tmp_path_factory):
    """Start the four chains; yield {(workers, isolated): chain}; clean up."""
    source = conformance_redis.sdist_tests(version("django-redis"))
    chains = {}
    try:
        for workers, isolated in CHAINS:
            name = f"django-redis-{workers}-{'isolated' if isolated else 'plain'}"
            chain = Chain(source, tmp_path_factory.mktemp(name), workers, isolated)
            chains[workers, isolated] = chain
            chain.start()
        yield chains
    finally:
        for chain in chains.values():
            chain.join(conformance_redis.RUN_TIMEOUT)
            stop(chain.server)


@pytest.fixture(scope="module")
def chains(conformance_runs):
    found = conformance_runs[__name__]
    for chain in found.values():
        chain.join()
        if chain.error is not None:
            raise chain.error
    return found


@pytest.mark.parametrize("workers", [1, 2])
def test_django_redis_tests_give_the_same_outcomes_isolated(chains, workers):
    plain, isolated = chains[workers, False], chains[workers, True]
    assert len(plain.outcomes) > 1000, plain.outcomes
    # (Some fail plainly too: sorted sets on the sharded client, for one.)
    assert conformance.differences(plain.outcomes, isolated.outcomes) == {}


@pytest.mark.parametrize("workers", [1, 2])
def test_an_isolated_run_leaves_nothing_and_touches_nothing_else(chains, workers):
    assert chains[workers, True].problems == []
