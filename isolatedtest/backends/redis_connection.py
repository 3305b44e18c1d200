"""redis-py's connections to an isolated Redis database: every command rewritten.

Every client a test can reach — Django's RedisCache, django-redis's client
and its helpers, ``get_redis_connection()``, pipelines, locks, scripts —
sends its commands through a redis-py connection taken from a pool. The
pools' ``get_connection`` is wrapped once; each connection to a Redis
database that a cache alias uses is adopted in place (its class swapped for
one with ``IsolatedConnection`` first) and from then on:

- each command's keys are put in the scope's namespace (``RedisResource.rewrite``),
  and replies that carry key names (``KEYS``, ``SCAN``, ``BLPOP``...) lose it;
- commands isolatedtest adds for its own book-keeping (copying what the
  enclosing scope left into a new scope, reading a key's value before a scope
  first writes it) travel in the same packet as the command that needs them,
  and their replies are read off before the command's own: no extra round
  trip.

Replies are matched to commands in order, per connection: a queue of what
each reply needs, filled as a packet is sent (after any health-check PING the
send itself makes) and emptied as replies are read; ``MULTI``/``EXEC``
transactions carry theirs inside ``EXEC``'s reply.
"""

from __future__ import annotations

import functools
import inspect
from collections import deque

from redis.connection import BlockingConnectionPool, ConnectionPool
from redis.exceptions import ResponseError

# The stores adopting connections now, newest first: each claims the pools
# of the databases it isolates.
_adopters: list = []


def add_adopter(adopter) -> None:
    """Let ``adopter`` claim the connections pools hand out from now on."""
    _adopters.insert(0, adopter)
    _wrap_pools()


def remove_adopter(adopter) -> None:
    if adopter in _adopters:
        _adopters.remove(adopter)


@functools.cache
def _wrap_pools() -> None:
    for pool_class in (ConnectionPool, BlockingConnectionPool):
        original = pool_class.__dict__["get_connection"]
        pool_class.get_connection = _adopting(original)


def _adopting(get_connection):
    @functools.wraps(get_connection)
    def wrapper(pool, *args, **kwargs):
        if getattr(pool, "_it_own", False):  # isolatedtest's own: not adopted
            return get_connection(pool, *args, **kwargs)
        adopter = next((a for a in _adopters if a.claims(pool)), None)
        if adopter is None:
            return get_connection(pool, *args, **kwargs)
        try:
            connection = get_connection(pool, *args, **kwargs)
        except Exception as error:
            adopter.explain(pool, error)
            raise
        adopter.adopt(pool, connection)
        return connection

    return wrapper


class Packed(list):
    """A packed packet, with what each of its replies needs."""

    __slots__ = ("entries",)


class Injected:
    """A command isolatedtest added: its reply is read off, and maybe kept."""

    __slots__ = ("take",)

    def __init__(self, take=None) -> None:
        self.take = take


class Transform:
    """A command whose reply carries key names to take the namespace off."""

    __slots__ = ("function",)

    def __init__(self, function) -> None:
        self.function = function


class IsolatedConnection:
    """A redis-py connection whose commands stay in the scope's namespace."""

    _it_server = None  # the Server this connection reaches (None: not isolated)
    _it_busy = False  # inside redis-py's own packing
    _it_fifo: deque
    _it_multi: list | None = None  # replies EXEC will carry, while queuing

    def _it_passing(self) -> bool:
        server = self._it_server
        return self._it_busy or server is None or not server.active

    def send_command(self, *args, **kwargs):
        # What every redis-py version does, through the methods below.
        self.send_packed_command(
            self.pack_command(*args), check_health=kwargs.get("check_health", True)
        )

    def pack_command(self, *args):
        if self._it_passing():
            return super().pack_command(*args)
        return self._it_pack([args])

    def pack_commands(self, commands):
        if self._it_passing():
            return super().pack_commands(commands)
        return self._it_pack(list(commands))

    def _it_pack(self, commands: list) -> list:
        commands, entries = self._it_server.rewrite(self, commands)
        self._it_busy = True
        try:
            packed = Packed(super().pack_commands(commands))
        finally:
            self._it_busy = False
        packed.entries = entries
        return packed

    def send_packed_command(self, command, check_health=True):
        super().send_packed_command(command, check_health)
        entries = getattr(command, "entries", None)
        if entries is not None and (self._it_fifo or any(entries)):
            self._it_fifo.extend(entries)

    def read_response(self, *args, **kwargs):
        fifo = self._it_fifo
        if not fifo:
            return super().read_response(*args, **kwargs)
        entry = fifo.popleft()
        while isinstance(entry, Injected):
            reply = self._it_read_own(kwargs)
            if entry.take is not None:
                entry.take(reply)
            entry = fifo.popleft() if fifo else None
        reply = super().read_response(*args, **kwargs)
        return reply if entry is None else entry.function(reply)

    def _it_read_own(self, kwargs: dict):
        kwargs = {k: v for k, v in kwargs.items() if k != "disable_decoding"}
        try:
            return super().read_response(disable_decoding=True, **kwargs)
        except ResponseError as error:
            return error

    def disconnect(self, *args, **kwargs):
        self._it_fifo.clear()
        self._it_multi = None
        return super().disconnect(*args, **kwargs)


def exec_reply(entries: list):
    """Return EXEC's transform: drop own commands' replies, transform the rest."""

    def transform(reply):
        if not isinstance(reply, list):
            return reply  # the transaction was aborted
        kept = []
        for item, entry in zip(reply, entries, strict=False):
            if isinstance(entry, Injected):
                if entry.take is not None:
                    entry.take(item)
            elif isinstance(entry, Transform) and not isinstance(item, Exception):
                kept.append(entry.function(item))
            else:
                kept.append(item)
        return kept

    return Transform(transform)


def own_pool(pool):
    """Return a pool of isolatedtest's own connections to ``pool``'s database.

    Its own I/O never takes a connection from the application's pools (code
    that counts their checkouts, or their connections, sees none of it).
    """
    own = type(pool)(connection_class=pool.connection_class, **pool.connection_kwargs)
    own._it_own = True
    return own


def execute(pool, commands: list[tuple]) -> list:
    """Send ``commands`` as they are, in one round trip; return their replies.

    ``pool`` is isolatedtest's own (``own_pool``). Error replies come back
    as ResponseError objects, in place.
    """
    connection = _checkout(pool)
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        replies = []
        for _ in commands:
            try:
                replies.append(connection.read_response(disable_decoding=True))
            except ResponseError as error:
                replies.append(error)
        return replies
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


def _checkout(pool):
    if _takes_no_command_name(type(pool)):
        return pool.get_connection()
    return pool.get_connection("_")  # redis-py < 5.1 requires a command name


@functools.cache
def _takes_no_command_name(pool_class: type) -> bool:
    parameters = list(inspect.signature(pool_class.get_connection).parameters.values())
    return len(parameters) < 2 or parameters[1].default is not inspect.Parameter.empty
