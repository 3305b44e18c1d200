"""Which arguments of a Redis command are keys: the server's own key specifications.

Redis 7 describes, for every command and subcommand, where its keys are
(``COMMAND``'s key specs: a begin-search step, an index or a keyword, then a
find-keys step, a range or a key count) and what it does to each (read,
overwrite, delete...). Reading that table once per server lets the
connection layer put every key of every command into the scope's namespace,
whichever API sent it: Django's cache interface, django-redis's helpers,
Lua scripts' declared keys, pipelines and the raw client alike.
"""

from __future__ import annotations

from dataclasses import dataclass

WRITE_FLAGS = frozenset({"RW", "OW", "RM"})

# Commands a connection sends before it is ready (handshake) or that have no
# keys: never looked up, so they work before the table is read.
KEYLESS = frozenset(
    {
        "auth",
        "hello",
        "select",
        "client",
        "ping",
        "echo",
        "quit",
        "reset",
        "readonly",
        "readwrite",
        "command",
        "info",
        "multi",
        "exec",
        "discard",
        "unwatch",
        "script",
        "function",
        "config",
        "time",
        "lastsave",
        "role",
        "wait",
        "subscribe",
        "unsubscribe",
        "psubscribe",
        "punsubscribe",
        "publish",
        "pubsub",
    }
)


NOT_A_KEY = object()  # a key spec of arguments that are not keys (channels)


class NotIsolable(Exception):
    """A command whose keys the server's key specifications cannot locate."""


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One key specification: where its keys are, and whether they are written."""

    begin: tuple  # ("index", i) or ("keyword", keyword, start from)
    find: tuple  # ("range", last key, step, limit) or ("keynum", index, first, step)
    writes: bool

    def positions(self, argv: list[bytes]) -> range:
        """Return the indexes of ``argv`` that are keys (as Redis finds them)."""
        first = self._start(argv)
        if first is None:
            return range(0)
        if self.find[0] == "range":
            _, last_key, step, limit = self.find
            if last_key >= 0:
                last = first + last_key
            elif limit <= 1:
                last = len(argv) + last_key
            else:
                last = first + (len(argv) - first) // limit + last_key
        else:
            _, index, first_key, step = self.find
            try:
                count = int(argv[first + index])
            except (IndexError, ValueError):
                return range(0)  # the server refuses the command
            first += first_key
            last = first + count - 1
        return range(first, min(last, len(argv) - 1) + 1, step or 1)

    def _start(self, argv: list[bytes]) -> int | None:
        if self.begin[0] == "index":
            return self.begin[1]
        _, keyword, start_from = self.begin
        if start_from >= 0:
            indexes = range(start_from, len(argv))
        else:
            indexes = range(len(argv) + start_from, 0, -1)
        for index in indexes:
            if argv[index].upper() == keyword:
                return index + 1
        return None


class CommandTable:
    """The key specifications of every command one server knows."""

    def __init__(self, reply: list) -> None:
        self._specs: dict[str, tuple[KeySpec, ...]] = {}
        self._partial: set[str] = set()  # commands with keys no spec locates
        self._containers: set[str] = set()
        for entry in reply:
            self._add(entry)

    def _add(self, entry: list) -> None:
        name = _text(entry[0]).lower()
        if len(entry) < 10:
            raise NotIsolable(
                "the server gives no key specifications (Redis 7.0 or newer is needed)"
            )
        specs: list[KeySpec] = []
        known = True
        for raw in entry[8]:
            spec = _spec(_mapping(raw))
            if spec is None:
                known = False
            elif spec is not NOT_A_KEY:
                specs.append(spec)
        self._specs[name] = tuple(specs)
        if not known:
            self._partial.add(name)
        if entry[9]:
            self._containers.add(name)
            for sub in entry[9]:
                self._add(sub)

    def keys(self, name: str, argv: list[bytes]) -> list[tuple[int, bool]]:
        """Return (index, written) for each key of ``argv`` (command ``name``)."""
        if name in self._containers and len(argv) > 1:
            name = f"{name}|{_text(argv[1]).lower()}"
        specs = self._specs.get(name, ())  # unknown: the server refuses it
        found: dict[int, bool] = {}
        for spec in specs:
            for index in spec.positions(argv):
                found[index] = found.get(index, False) or spec.writes
        if name in self._partial:
            if name not in ("sort", "sort_ro"):
                raise NotIsolable(
                    f"the server cannot say where {name.upper()}'s keys are"
                )
            found.update(_sort_keys(argv))
        return sorted(found.items())


def _sort_keys(argv: list[bytes]) -> dict[int, bool]:
    """SORT's STORE key and BY/GET patterns (key names, with '*' for elements)."""
    found = {}
    for index in range(2, len(argv) - 1):
        word = argv[index].upper()
        value = argv[index + 1]
        if word == b"STORE":
            found[index + 1] = True
        elif word in (b"BY", b"GET") and value not in (b"#", b"nosort"):
            found[index + 1] = False
    return found


def _spec(spec: dict):
    """Return a KeySpec, NOT_A_KEY (a channel...) or None (keys not locatable)."""
    flags = {_text(flag).upper() for flag in spec.get("flags", ())}
    if "NOT_KEY" in flags:
        return NOT_A_KEY
    begin = _mapping(spec["begin_search"])
    find = _mapping(spec["find_keys"])
    begin_spec = _mapping(begin.get("spec") or {})
    find_spec = _mapping(find.get("spec") or {})
    kind = _text(begin["type"])
    if kind == "index":
        begin_step: tuple = ("index", int(begin_spec["index"]))
    elif kind == "keyword":
        keyword = _text(begin_spec["keyword"]).upper().encode()
        begin_step = ("keyword", keyword, int(begin_spec["startfrom"]))
    else:
        return None
    kind = _text(find["type"])
    if kind == "range":
        find_step: tuple = (
            "range",
            int(find_spec["lastkey"]),
            int(find_spec["keystep"]),
            int(find_spec["limit"]),
        )
    elif kind == "keynum":
        find_step = (
            "keynum",
            int(find_spec["keynumidx"]),
            int(find_spec["firstkey"]),
            int(find_spec["keystep"]),
        )
    else:
        return None
    return KeySpec(begin_step, find_step, bool(flags & WRITE_FLAGS))


def _mapping(value) -> dict:
    """Return a key spec map as {str: value}, from RESP3 maps or RESP2 pairs."""
    if isinstance(value, dict):
        return {_text(key): item for key, item in value.items()}
    return {_text(value[i]): value[i + 1] for i in range(0, len(value), 2)}


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
