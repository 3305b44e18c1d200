"""Redis (Django's RedisCache, django-redis): every command isolated at the connection.

A Redis database that a cache alias uses is one store, whatever reaches it:
the cache interface, django-redis's helpers (``keys``, ``delete_pattern``,
``ttl``, ``lock``, hashes, sets, sorted sets...), ``get_redis_connection()``
or ``cache._cache.get_client()``. Each command's keys are rewritten on its
way out (``backends/redis_connection.py``) into the scope's generation of this
process's namespace::

    isolatedtest:<run id>:<process>:<generation>:<key as the client sent it>

so keys, TTLs and types are exactly what the test's code made them, and
replies that name keys come back without the namespace. A scope starts in a
fresh generation; on its first command on a server, what the enclosing scope
left there is copied in (``COPY``, in the same packet as that command). The
keys each scope writes are recorded from the server's key specifications
(``backends/redis_commands.py``): when the scope ends, one pipeline reads what
changed (the leak) and deletes the generation. ``FLUSHDB``/``FLUSHALL`` in
a scope start a fresh generation instead: nothing outside the run's
namespaces is ever read, changed or deleted.

A killed run cannot delete its keys: each process keeps a liveness record on
every server it uses (refreshed by a thread), and the first process of a
later run to reach the server deletes the namespaces of processes that are
certainly gone (``_sweep``: a pid of this machine's PID namespace and boot
that no longer lives, or elsewhere a liveness record that expired).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed

from isolatedtest.backends import backend_class, explain_unreachable, is_redis
from isolatedtest.backends.redis_commands import KEYLESS, CommandTable, NotIsolable
from isolatedtest.backends.redis_connection import (
    Injected,
    IsolatedConnection,
    Transform,
    add_adopter,
    exec_reply,
    execute,
    own_pool,
    remove_adopter,
)
from isolatedtest.conf import Config, ConfigurationError, host_tag
from isolatedtest.engine import ABSENT, PRESENT
from isolatedtest.outcomes import (
    BadLocation,
    Outcome,
    ResetFailure,
    Unsupported,
)
from isolatedtest.resources.adoption import extend
from isolatedtest.resources.generations import (
    Frame,
    Generation,
    Namespace,
    NamespaceResource,
    grouped,
)

MARK = b"isolatedtest:"
LIVE_TTL = 24 * 60 * 60  # seconds a process's liveness record lasts unrefreshed
HEARTBEAT = 60  # seconds between refreshes
SWEEP_BATCH = 10_000
PENDING = object()  # its value before is on its way (an EXEC not yet read)
DEFAULT_PORT = 6379

# Commands whose replies or whose whole meaning involve the keyspace.
KEYSPACE = frozenset({"keys", "scan", "randomkey", "dbsize", "flushdb", "flushall"})
POPPING = frozenset(
    {"blpop", "brpop", "bzpopmin", "bzpopmax", "lmpop", "blmpop", "zmpop", "bzmpop"}
)
STREAM_READS = frozenset({"xread", "xreadgroup"})
COUNT_SCRIPT = b"return #redis.call('KEYS', ARGV[1])"
LIST_SCRIPT = b"""local found = {}
for i, pattern in ipairs(ARGV) do
  found[i] = redis.call('KEYS', pattern)
end
return found"""


@dataclass(frozen=True)
class Alias:
    """A cache alias on a Redis database, for naming its keys in reports."""

    name: str
    backend: str
    location: str
    prefix: str


def identity(params: dict) -> tuple:
    """Return what identifies a Redis database from a pool's connection kwargs."""
    db = int(params.get("db") or 0)
    if params.get("path"):
        return ("unix", params["path"], db)
    return (
        params.get("host") or "localhost",
        int(params.get("port") or DEFAULT_PORT),
        db,
    )


class Unfollowed(ValueError):
    """A Redis setup that works, but not one isolatedtest can follow."""


def alias_databases(params: dict) -> list[tuple]:
    """Return the identities of the databases a Redis cache alias reaches.

    Raise Unfollowed for a setup isolatedtest cannot follow, ValueError
    for a LOCATION redis-py cannot parse.
    """
    from redis.connection import parse_url

    options = params.get("OPTIONS") or {}
    for option in ("CLIENT_CLASS", "CONNECTION_FACTORY", "pool_class"):
        if "sentinel" in str(options.get(option, "")).lower():
            raise Unfollowed(f"Redis Sentinel ({option} {options[option]!r})")
    location = params.get("LOCATION", "")
    if isinstance(location, str):
        location = [part for part in re.split(r"[;,]", location) if part.strip()]
    found = []
    for url in location:
        parsed = parse_url(url.strip())
        if "db" not in parsed and "db" in options:
            parsed["db"] = options["db"]
        found.append(identity(parsed))
    return found


class RedisNamespace(Namespace):
    """One Redis database this process reaches, through whatever pool, per scope.

    An entry is a key as the client sent it; the namespace knows which keys
    each generation may hold (records), not their values: those are read on
    the server (``DUMP``), in the packets that change them and when a scope
    ends.
    """

    def __init__(
        self, store: RedisResource, key: tuple, aliases: list[Alias], base: bytes
    ) -> None:
        super().__init__(base, store.reset)
        self.store = store
        self.key = key
        self.aliases = aliases
        self.pool = None  # isolatedtest's own pool to it (``own_pool``)
        self.table: CommandTable | None = None
        self.active = True
        self.errors: list[Exception] = []  # replies to own commands that failed

    def __repr__(self) -> str:
        return f"RedisNamespace({self.key!r})"

    def tag(self) -> bytes:
        self._count += 1
        # Fixed width: every tag has the same length, none starts another.
        return self._base + f"{self._count:08x}:".encode()

    def rewrite(self, connection, commands: list) -> tuple[list, list]:
        return self.store.rewrite(self, connection, commands)

    def alias_of(self, key: bytes) -> tuple[Alias, str]:
        """Return the alias a server key belongs to, and the key as code names it."""
        text = key.decode("utf-8", "backslashreplace")
        for alias in self.aliases:
            head = f"{alias.prefix}:"
            if text.startswith(head):
                version, found, rest = text[len(head) :].partition(":")
                if found and version.isdigit():
                    return alias, rest
        return self.aliases[0], text

    def failure(self, error: BaseException) -> ResetFailure:
        alias = self.aliases[0]
        return ResetFailure(
            alias.name,
            alias.backend,
            alias.location,
            f"{type(error).__name__}: {error}",
        )

    # The model's I/O.

    def value(self, generation: Generation, key: bytes) -> object:
        # Read on the server by whoever asks (a DUMP in their packet).
        return PENDING if key in generation.records else ABSENT

    def wrote(self, frame: Frame, key: bytes) -> list:
        """Note a write; return the command reading the value it replaces, if any."""
        if key in frame.written:
            frame.space.live.records[key] = None
            if frame is self._fixture:
                self._touched.add(key)
            return []
        self.changing(frame, key)
        frame.space.live.records[key] = None
        return self._dumps(frame, frame.space.live.tag, [key])

    def _dumps(self, frame: Frame, tag: bytes, keys) -> list:
        """DUMP ``keys`` of ``tag`` into ``frame.written`` where PENDING there."""
        return [
            (("DUMP", tag + key), Injected(_keeper(frame.written, key)))
            for key in keys
            if frame.written.get(key) is PENDING
        ]

    def materialize(self, frame: Frame) -> list:
        """Copy what the enclosing scopes left into ``frame``'s generation."""
        space = frame.space
        if space.materialized:
            return []
        space.materialized = True
        source = self.source(frame).space.live
        store = self.store
        keys = [
            key
            for key in source.records
            if not (store.persistent and store.is_persistent(self, key))
        ]
        space.live.records = dict.fromkeys(keys)
        old, new = source.tag, space.live.tag
        copied = Injected(self._own_reply)
        return [(("COPY", old + key, new + key), copied) for key in sorted(keys)]

    def _own_reply(self, reply) -> None:
        """Keep the error of a command isolatedtest sent for itself."""
        if isinstance(reply, Exception):
            self.errors.append(reply)

    def flush(self, frame: Frame) -> list:
        """FLUSHDB in a scope: what it saw is deleted at once (values read first).

        The scope goes on in a fresh generation; the old one's keys go in the
        same packet, as FLUSHDB's would (a SCAN after it walks none of them).
        """
        space = frame.space
        old = space.live
        keys = [key for key in old.records if key not in frame.written]
        self.clear(frame)
        commands = self._dumps(frame, old.tag, keys)
        space.dead.remove(old)
        if old.records:
            unlink = ("UNLINK", *(old.tag + key for key in old.records))
            commands.append((unlink, Injected(self._own_reply)))
        return commands

    def propagate(self, source: Generation, targets: list[Frame], entries: set):
        commands: list = []
        for frame in targets:
            live = frame.space.live
            for key in sorted(entries):
                commands += [
                    (("DEL", live.tag + key), None),
                    (("COPY", source.tag + key, live.tag + key), None),
                ]
                if key in source.records:
                    live.records[key] = None
                else:
                    live.records.pop(key, None)
                if key in frame.written:
                    frame.written[key] = PENDING
                    commands += self._dumps(frame, source.tag, [key])
        if commands:
            replies = execute(self.pool, [command for command, _ in commands])
            for (_, entry), reply in zip(commands, replies, strict=True):
                (self._own_reply if entry is None else entry.take)(reply)
        return self._failures()

    def _failures(self) -> list[Outcome]:
        """The failed reset the errors of own commands since the last one are."""
        errors, self.errors = self.errors, []
        return [self.failure(errors[0])] if errors else []

    def settle(self, frame: Frame, discard: bool) -> list[Outcome]:
        """One pipeline: what ``frame`` changed, then (if asked) its deletion."""
        space = frame.space
        written, frame.written = frame.written, {}
        tag = space.live.tag
        commands, reads = [], []
        for key, before in sorted(written.items()):
            if before is PENDING:
                continue  # never written (its transaction did not run)
            reads.append((key, before, len(commands)))
            command = "EXISTS" if before is ABSENT else "DUMP"
            commands.append((command, tag + key))
        if discard:
            generations = [*space.dead, space.live]
            space.dead, space.live = [], Generation(tag)
            for generation in generations:
                commands += [
                    ("DEL", generation.tag + key) for key in generation.records
                ]
        if not commands:
            return self._failures()
        try:
            replies = execute(self.pool, commands)
        except Exception as error:
            return [self.failure(error)]
        found = {}
        for key, before, index in reads:
            reply = replies[index]
            if before is ABSENT:
                after = PRESENT if reply == 1 else ABSENT
            else:
                after = ABSENT if reply is None else reply
                before = ABSENT if before is None else before
            found[key] = (before, after)
        for reply in replies[len(reads) :]:
            self._own_reply(reply)
        return grouped(found, self._origin, id(self)) + self._failures()

    def _origin(self, key: bytes) -> tuple[tuple[str, str, str], str]:
        alias, name = self.alias_of(key)
        return (alias.name, alias.backend, alias.location), name


class RedisResource(NamespaceResource):
    """Every Redis database of this process's cache aliases, per scope."""

    def __init__(self, config: Config, reset: bool, run_id: str) -> None:
        super().__init__(reset)
        self._config = config
        self.persistent = config.persistent_matcher()
        self._persistent_keys: dict[tuple[RedisNamespace, bytes], bool] = {}
        # The process, as the sweep reads it: where its pid means something.
        process = f"{host_tag()}-{os.getpid()}-{secrets.token_hex(2)}"
        self._base = MARK + f"{run_id}:{process}:".encode()
        self._live_key = self._base + b"live"
        self._host = host_tag().encode()  # the liveness record's value
        self._lock = threading.RLock()
        self._aliases: dict[tuple, list[Alias]] = {}
        self.unsupported: list[Unsupported | BadLocation] = []
        self._read_aliases()
        self._ready: list[RedisNamespace] = []
        self._stopped = threading.Event()
        self._beating = threading.Lock()
        setting_changed.connect(self._caches_changed, weak=True)
        add_adopter(self)

    # Which databases are isolated.

    def _read_aliases(self) -> None:
        excluded: dict[tuple, str] = {}
        for alias, params in settings.CACHES.items():
            cls = backend_class(params)
            if cls is None or not is_redis(cls):
                continue
            backend = params.get("BACKEND", "")
            try:
                databases = alias_databases(params)
            except Unfollowed as error:
                if alias not in self._config.exclude_aliases:
                    reason = f"whose LOCATION isolatedtest cannot follow ({error})"
                    self.unsupported.append(Unsupported(alias, backend, reason))
                continue
            except ValueError as error:  # Django and redis-py fail on it too
                bad = BadLocation(alias, backend, _location(params), str(error))
                self.unsupported.append(bad)
                continue
            info = Alias(
                alias,
                params.get("BACKEND", ""),
                _location(params),
                params.get("KEY_PREFIX", ""),
            )
            for database in databases:
                if alias in self._config.exclude_aliases:
                    excluded.setdefault(database, alias)
                elif all(a.name != alias for a in self._aliases.get(database, ())):
                    self._aliases.setdefault(database, []).append(info)
        for database, alias in excluded.items():
            if database in self._aliases:
                other = self._aliases[database][0].name
                raise ConfigurationError(
                    f"ISOLATEDTEST['EXCLUDE_ALIASES'] names {alias!r}, which shares "
                    f"its Redis database with the isolated alias {other!r}: what one "
                    "writes, the other reads. Exclude both, or neither."
                )

    def _caches_changed(self, *, setting: str, **kwargs) -> None:
        if setting != "CACHES":
            return
        try:
            self._read_aliases()  # a test's override_settings may add aliases
        except Exception as error:  # reported, never raised into the test
            self.failed(error)

    def claims(self, pool) -> bool:
        """Whether ``pool`` reaches a database this store isolates."""
        return identity(pool.connection_kwargs) in self._aliases

    def explain(self, pool, error: Exception) -> None:
        """Name the alias of a server that cannot be reached (Python 3.11+)."""
        aliases = self._aliases.get(identity(pool.connection_kwargs))
        if aliases:
            alias = aliases[0]
            explain_unreachable(error, alias.name, alias.backend, alias.location)

    def adopt(self, pool, connection) -> None:
        """Isolate ``connection`` if its pool reaches an isolated database."""
        state = connection.__dict__
        if state.get("_it_store") is self:
            return
        state["_it_store"] = self
        with self._lock:
            server = self.namespace(identity(pool.connection_kwargs))
        extend(connection, IsolatedConnection)
        state.update(_it_server=server, _it_fifo=deque(), _it_multi=None)
        if server.pool is None:
            server.pool = own_pool(pool)

    def _prepare(self, server: RedisNamespace) -> None:
        """Read the server's key specifications; announce this process; sweep.

        Done before the first command that needs them, on isolatedtest's own
        connection to the server.
        """
        try:
            live = ("SET", self._live_key, self._host, "EX", LIVE_TTL)
            command_reply, _ = execute(server.pool, [("COMMAND",), live])
            if isinstance(command_reply, Exception):
                raise NotIsolatedError(server, f"COMMAND failed: {command_reply}")
            try:
                server.table = CommandTable(command_reply)
            except NotIsolable as error:
                raise NotIsolatedError(server, str(error)) from None
            self._ready.append(server)
            if len(self._ready) == 1:
                threading.Thread(
                    target=self._heartbeat, name="isolatedtest-redis", daemon=True
                ).start()
            self._sweep(server.pool)
        except Exception as error:
            alias = server.aliases[0]
            explain_unreachable(error, alias.name, alias.backend, alias.location)
            raise

    def _heartbeat(self) -> None:
        """Keep this process's liveness records while it runs."""
        while not self._stopped.wait(HEARTBEAT):
            with self._beating:  # not once end_run has deleted the records
                if self._stopped.is_set():
                    return
                live = ("SET", self._live_key, self._host, "EX", LIVE_TTL)
                for server in list(self._ready):
                    # A server that went away: the tests using it say so.
                    with contextlib.suppress(Exception):
                        execute(server.pool, [live])

    def _sweep(self, pool) -> int:
        """Delete the namespaces of processes that are certainly gone.

        A namespace names its process: ``<run id>:<tag>-<pid>-<random>``. A
        process with this process's tag (this machine, boot and PID
        namespace: ``host_tag``) is gone when its pid is, or is a zombie; a
        stopped one is alive. Any other (another machine, container or boot,
        or a namespace of an older release) is gone when its liveness record
        is: it refreshes it every minute, and it lasts a day unrefreshed.
        """
        alive: dict[bytes, bool] = {self._base: True}
        dead: list[bytes] = []
        deleted = 0
        cursor = b"0"
        while True:
            cursor, keys = execute(
                pool, [("SCAN", cursor, "MATCH", MARK + b"*", "COUNT", SWEEP_BATCH)]
            )[0]
            owners = {}
            for key in keys:
                parts = key.split(b":", 3)
                if len(parts) == 4 and parts[3] != b"live":
                    owners[key] = b":".join(parts[:3]) + b":"
            unknown = sorted(set(owners.values()) - alive.keys())
            checks = []
            for owner in unknown:
                tag, pid = _process_of(owner)
                if tag == self._host:
                    alive[owner] = _pid_alive(pid)
                    if not alive[owner]:
                        dead.append(owner + b"live")
                else:
                    checks.append(owner)
            replies = execute(pool, [("EXISTS", owner + b"live") for owner in checks])
            for owner, found in zip(checks, replies, strict=True):
                alive[owner] = found == 1
            dead += [key for key, owner in owners.items() if not alive[owner]]
            if len(dead) >= SWEEP_BATCH or (cursor in (b"0", 0) and dead):
                deleted += execute(pool, [("UNLINK", *dead)])[0]
                dead = []
            if cursor in (b"0", 0):
                return deleted

    # Rewriting, called for each packet a connection sends.

    def rewrite(
        self, server: RedisNamespace, connection, commands: list
    ) -> tuple[list, list]:
        """Return ``commands`` in the scope's namespace, and each reply's needs."""
        encode = connection.encoder.encode
        out: list = []
        entries: list = []
        with self._lock:
            frame = server.current
            for args in commands:
                try:
                    argv = _argv(args, encode)
                except Exception:
                    out.append(args)  # redis-py refuses it when it packs it
                    entries.append(None)
                    continue
                name = argv[0].decode("latin-1").lower()
                if name in KEYLESS:
                    self._keyless(connection, name, argv, out, entries)
                    continue
                if server.table is None:
                    self._prepare(server)
                try:
                    keys = server.table.keys(name, argv)
                except NotIsolable as error:
                    raise NotIsolatedError(server, str(error)) from None
                before: list = []
                if keys or name in KEYSPACE:
                    before += server.materialize(frame)
                entry = None
                if name in ("flushdb", "flushall"):
                    before += server.flush(frame)
                    argv = [b"ECHO", b"OK"]
                elif name in KEYSPACE:
                    argv, entry = self._keyspace(frame, server, name, argv)
                else:
                    for index, writes in keys:
                        target = self._route(frame, server, argv[index])
                        if writes:
                            before += server.wrote(target, argv[index])
                        argv[index] = target.space.live.tag + argv[index]
                    if name in POPPING:
                        entry = Transform(_strip_first)
                    elif name in STREAM_READS:
                        entry = Transform(_strip_streams)
                self._queue(connection, before, out, entries)
                self._queue(connection, [(tuple(argv), entry)], out, entries)
        return out, entries

    def _keyless(self, connection, name, argv, out, entries) -> None:
        entry = None
        if name == "multi":
            connection._it_multi = []
            out.append(tuple(argv))
            entries.append(None)
            return
        if name == "exec" and connection._it_multi is not None:
            entry = exec_reply(connection._it_multi)
            connection._it_multi = None
        elif name == "discard":
            connection._it_multi = None
        out.append(tuple(argv))
        entries.append(entry)

    def _queue(self, connection, commands, out, entries) -> None:
        """Add commands; inside MULTI their replies come with EXEC's."""
        multi = connection._it_multi
        for command, entry in commands:
            out.append(command)
            if multi is None:
                entries.append(entry)
            else:
                # The QUEUED reply: read off for own commands, passed for others.
                entries.append(Injected() if isinstance(entry, Injected) else None)
                multi.append(entry)

    def _route(self, frame: Frame, server: RedisNamespace, key: bytes) -> Frame:
        """Persistent keys live in the run's generation; others in the scope's."""
        if self.persistent is not None and self.is_persistent(server, key):
            return server.run
        return frame

    def is_persistent(self, server: RedisNamespace, key: bytes) -> bool:
        found = self._persistent_keys.get((server, key))
        if found is None:
            name = server.alias_of(key)[1]
            found = self._persistent_keys[server, key] = bool(
                self.persistent.match(name)
            )
        return found

    def _keyspace(self, frame: Frame, server: RedisNamespace, name: str, argv: list):
        """KEYS, SCAN, RANDOMKEY and DBSIZE, as the scope sees."""
        tags = [frame.space.live.tag]
        run_tag = server.run.space.live.tag
        persistent = self.persistent is not None and run_tag != tags[0]
        if persistent:
            tags.append(run_tag)  # the scope also sees the persistent keys
        size = len(tags[0])
        if name == "keys" and not persistent:
            return [argv[0], tags[0] + argv[1]], Transform(_stripper(size))
        if name == "scan" and not persistent:
            return _scan(argv, tags[0]), Transform(_scan_stripper(size))
        if name == "dbsize" and not persistent:
            return [b"EVAL", COUNT_SCRIPT, b"0", tags[0] + b"*"], None
        pattern = argv[1] if name == "keys" else _scan_pattern(argv)
        script = [b"EVAL", LIST_SCRIPT, b"0", *(tag + pattern for tag in tags)]
        keep = self._visible(server, size)
        if name == "keys":
            return script, Transform(keep)
        if name == "scan":
            return script, Transform(lambda reply: [b"0", keep(reply)])
        if name == "dbsize":
            return script, Transform(lambda reply: len(keep(reply)))
        return script, Transform(lambda reply: _any(keep(reply)))

    def _visible(self, server: RedisNamespace, size: int):
        """Return the scope's keys and the run's persistent ones, from LIST_SCRIPT."""

        def keep(reply):
            own, run = reply[0], reply[1:] and reply[1]
            names = [key[size:] for key in own]
            raw = [_as_bytes(key[size:]) for key in run]
            names += [
                key[size:]
                for key, name in zip(run, raw, strict=True)
                if self.is_persistent(server, name)
            ]
            return names

        return keep

    def end_run(self) -> list[Outcome]:
        outcomes = super().end_run()
        with self._beating:
            self._stopped.set()
        for server in self.namespaces.values():
            server.active = False
        for server in self._ready:
            try:
                execute(server.pool, [("DEL", self._live_key)])
            except Exception as error:
                outcomes.append(server.failure(error))
        for server in self.namespaces.values():
            if server.pool is not None:
                server.pool.disconnect()
        remove_adopter(self)
        return outcomes

    def make(self, key: tuple) -> RedisNamespace:
        return RedisNamespace(self, key, self._aliases[key], self._base)

    def failure(self, namespace: RedisNamespace, error: Exception) -> Outcome:
        return namespace.failure(error)


class NotIsolatedError(Exception):
    """A command isolatedtest cannot keep in the namespace: it is not sent."""

    def __init__(self, server: RedisNamespace, reason: str) -> None:
        alias = server.aliases[0]
        super().__init__(
            f"isolatedtest: cannot isolate a command to cache alias {alias.name!r} "
            f"({alias.backend} at {alias.location!r}): {reason}. Isolation on "
            "Redis needs Redis 7.0 or newer; or leave the alias out with "
            "ISOLATEDTEST['EXCLUDE_ALIASES']."
        )


def _process_of(owner: bytes) -> tuple[bytes, int]:
    """Return a namespace's (process tag, pid): ``isolatedtest:run:tag-pid-x:``."""
    tag, _, rest = owner.split(b":")[2].partition(b"-")
    pid = rest.partition(b"-")[0]
    return (tag, int(pid)) if pid.isdigit() else (b"", 0)


def _pid_alive(pid: int) -> bool:
    """Whether the process ``pid`` of this PID namespace runs (stopped counts).

    A zombie (ended, not yet reaped: an orphan in a container whose init
    does not reap) does not.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        if os.path.isdir("/proc"):
            return False
    try:  # no /proc (macOS)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _keeper(target: dict, key):
    """Return a function that keeps a reply (a DUMP) in ``target[key]``."""

    def take(reply):
        target[key] = None if isinstance(reply, Exception) else reply

    return take


def _argv(args, encode) -> list[bytes]:
    """Return the command as bytes, its name split as redis-py splits it."""
    first = args[0]
    head = (first.encode() if isinstance(first, str) else bytes(first)).split()
    return [*head, *(bytes(encode(arg)) for arg in args[1:])]


def _scan(argv: list[bytes], tag: bytes) -> list[bytes]:
    argv = list(argv)
    for index in range(2, len(argv) - 1):
        if argv[index].upper() == b"MATCH":
            argv[index + 1] = tag + argv[index + 1]
            return argv
    return [*argv, b"MATCH", tag + b"*"]


def _scan_pattern(argv: list[bytes]) -> bytes:
    for index in range(2, len(argv) - 1):
        if argv[index].upper() == b"MATCH":
            return argv[index + 1]
    return b"*"


def _stripper(size: int):
    return lambda keys: [key[size:] for key in keys]


def _scan_stripper(size: int):
    return lambda reply: [reply[0], [key[size:] for key in reply[1]]]


def _strip_first(reply):
    if isinstance(reply, list) and reply:
        return [_strip_namespace(reply[0]), *reply[1:]]
    return reply


def _strip_streams(reply):
    if isinstance(reply, dict):
        return {_strip_namespace(key): value for key, value in reply.items()}
    if isinstance(reply, list):
        return [[_strip_namespace(item[0]), *item[1:]] for item in reply]
    return reply


def _strip_namespace(key):
    """Take the namespace off a key name (any of this process's tags)."""
    mark = MARK if isinstance(key, bytes) else MARK.decode()
    if key[: len(mark)] == mark:
        return key.split(mark[-1:], 4)[-1]
    return key


def _any(keys: list):
    import random

    return random.choice(keys) if keys else None


def _as_bytes(key) -> bytes:
    return key if isinstance(key, bytes) else str(key).encode()


def _location(params: dict) -> str:
    """Return an alias's LOCATION for messages, without its passwords."""
    location = params.get("LOCATION", "")
    location = location if isinstance(location, str) else ",".join(location)
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", location)
