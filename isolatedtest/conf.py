"""Read and check the ``ISOLATEDTEST`` setting; name the run."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import secrets
import socket
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.module_loading import import_string

SETTING = "ISOLATEDTEST"
RUN_ID_ENV = "ISOLATEDTEST_RUN_ID"
KNOWN_KEYS = ("EXCLUDE_ALIASES", "PERSISTENT_KEYS", "OFF", "MEMOIZED_EXCLUDE")


class ConfigurationError(CommandError):
    """The ISOLATEDTEST setting or the CACHES it refers to are wrong."""


@dataclass(frozen=True)
class Config:
    """What the user asked of isolatedtest in settings."""

    exclude_aliases: frozenset[str] = frozenset()
    persistent_keys: tuple[str, ...] = ()
    off: tuple[str, ...] = ()  # resources outside the cache framework left alone
    memoized_exclude: tuple[str, ...] = ()  # dotted patterns of functions

    def persistent_matcher(self) -> re.Pattern[str] | None:
        """Return one regex for all PERSISTENT_KEYS patterns, or None."""
        return _matcher(self.persistent_keys)

    def memoized_excluded(self) -> re.Pattern[str] | None:
        """Return one regex for all MEMOIZED_EXCLUDE patterns, or None."""
        return _matcher(self.memoized_exclude)


def _matcher(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(pattern) for pattern in patterns))


def _string_list(value: object, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise ConfigurationError(
            f"{SETTING}[{name!r}] must be a list of strings, got {value!r}."
        )
    for item in value:
        if not isinstance(item, str):
            raise ConfigurationError(
                f"{SETTING}[{name!r}] must be a list of strings; {item!r} is not a "
                "string."
            )
    return tuple(value)


def load_config() -> Config:
    """Return the checked ISOLATEDTEST setting; raise ConfigurationError if wrong."""
    raw = getattr(settings, SETTING, {})
    if not isinstance(raw, dict):
        raise ConfigurationError(
            f"{SETTING} must be a dict with the keys {', '.join(KNOWN_KEYS)}; "
            f"got {type(raw).__name__}."
        )
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{SETTING} has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"the known keys are {', '.join(KNOWN_KEYS)}."
        )
    aliases = _string_list(raw.get("EXCLUDE_ALIASES", ()), "EXCLUDE_ALIASES")
    missing = sorted(set(aliases) - set(settings.CACHES))
    if missing:
        raise ConfigurationError(
            f"{SETTING}['EXCLUDE_ALIASES'] names {', '.join(map(repr, missing))}, "
            f"which CACHES does not define; CACHES has "
            f"{', '.join(map(repr, settings.CACHES)) or 'no aliases'}."
        )
    patterns = _string_list(raw.get("PERSISTENT_KEYS", ()), "PERSISTENT_KEYS")
    _check_backends_import()
    return Config(
        exclude_aliases=frozenset(aliases),
        persistent_keys=patterns,
        off=_string_list(raw.get("OFF", ()), "OFF"),
        memoized_exclude=_string_list(
            raw.get("MEMOIZED_EXCLUDE", ()), "MEMOIZED_EXCLUDE"
        ),
    )


def _check_backends_import() -> None:
    """Name a CACHES BACKEND that does not import, before any database exists.

    Django would fail on it later (at its system checks, after creating the
    test databases) with a long traceback.
    """
    for alias, params in settings.CACHES.items():
        path = params.get("BACKEND", "")
        try:
            import_string(path)
        except ImportError as error:
            raise ConfigurationError(
                f"CACHES[{alias!r}]['BACKEND'] = {path!r} does not import: "
                f"{error}. Fix the dotted path or install its package."
            ) from None


def run_id() -> str:
    """Return this run's id: $ISOLATEDTEST_RUN_ID, or host, pid and a random part.

    The default id says which host and process ran it, so a later run on the
    same host can tell a crashed run's namespaces from a live one's.
    """
    chosen = os.environ.get(RUN_ID_ENV)
    if chosen is not None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", chosen):
            raise ConfigurationError(
                f"{RUN_ID_ENV}={chosen!r} is not a valid run id: use 1 to 64 "
                "letters, digits, '_', '.' or '-'."
            )
        return chosen
    return f"{host_tag()}-{os.getpid()}-{secrets.token_hex(3)}"


def host_tag() -> str:
    """Return a short tag for where this process's pids mean something.

    The host name, the boot and the PID namespace (two containers may share
    a host name, not a PID namespace): a process with this tag and a given
    pid is this machine's, and if that pid is gone, so is the process.
    """
    parts = [socket.gethostname()]
    for read in (_boot_id, _pid_namespace):
        with contextlib.suppress(OSError):  # not Linux: the host name alone
            parts.append(read())
    return f"{zlib.crc32('|'.join(parts).encode()):08x}"


def _boot_id() -> str:
    with open("/proc/sys/kernel/random/boot_id") as boot:
        return boot.read().strip()


def _pid_namespace() -> str:
    return os.readlink("/proc/self/ns/pid")
