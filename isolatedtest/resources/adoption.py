"""Adopt cache instances in place: every one the cache handler makes or made.

Resources that need to see inside cache instances (their attributes, their
keys) register an adopter here. Instances are never replaced (code may
already hold them): their class is swapped for a subclass that adds the
resource's overrides, under the original class's name. The handler's
``create_connection`` is wrapped once, so instances created later, in any
thread and under ``override_settings``, are adopted as they are made.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable

from django.core.cache import caches

from isolatedtest.internals import made_caches

Adopter = Callable[[str, object], None]

# {resource: adopter}, of the engines alive in this process (``forget``
# drops a resource's at its run's end, ``forget_all`` what a forked worker
# inherited from its parent).
_adopters: dict[object, Adopter] = {}
_classes: dict[tuple[type, type], type] = {}
_guarding: set = set()  # owners whose adopters' errors must stop the caller
# {instance: (alias, BACKEND, LOCATION)}: kept outside the instance, whose
# attribute lookups stay as fast as Django made them (a materialized
# ``__dict__`` costs every cache call about 4%).
_origins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
UNKNOWN_ORIGIN = ("", "", "")


def install(owner, adopter: Adopter, guards_data: bool = False) -> None:
    """Call ``adopter(alias, instance)`` for every instance, existing and new.

    ``owner`` is the resource: what its adopter raises is its failed reset,
    never the caller's (a test asking for ``caches[alias]``), unless the
    adopter ``guards_data``: an instance it could not route into a
    namespace must not reach a shared server.
    """
    if guards_data:
        _guarding.add(owner)
    _adopters[owner] = adopter
    caches.create_connection = _create_connection
    for alias, instance in made_caches():
        _remember(alias, instance)
        _adopt(owner, adopter, alias, instance)


def forget(owner: object) -> None:
    """Stop adopting for ``owner`` (its run has ended)."""
    _adopters.pop(owner, None)
    _guarding.discard(owner)


def forget_all() -> None:
    """Drop the adopters a forked worker inherited from its parent's engine."""
    _adopters.clear()
    _guarding.clear()


def _create_connection(alias: str):
    instance = type(caches).create_connection(caches, alias)
    _remember(alias, instance)
    for owner, adopter in tuple(_adopters.items()):
        _adopt(owner, adopter, alias, instance)
    return instance


def _adopt(owner, adopter: Adopter, alias: str, instance) -> None:
    try:
        adopter(alias, instance)
    except Exception as error:
        if owner in _guarding:
            raise
        owner.failed(error)


def _remember(alias: str, instance) -> None:
    params = caches.settings.get(alias, {})
    backend = params.get("BACKEND", type(instance).__qualname__)
    with contextlib.suppress(TypeError):  # neither hashed nor weakly referenced
        _origins[instance] = (alias, backend, str(params.get("LOCATION", "")))


def origin(instance) -> tuple[str, str, str]:
    """Return (alias, BACKEND, LOCATION) of an adopted instance."""
    try:
        return _origins.get(instance, UNKNOWN_ORIGIN)
    except TypeError:
        return UNKNOWN_ORIGIN


def extend(instance, mixin: type) -> None:
    """Swap ``instance``'s class for one that puts ``mixin`` before it.

    (Its attribute lookups then go through a materialized ``__dict__``:
    for instances whose every call is I/O, or recorded anyway.)
    """
    cls = type(instance)
    if issubclass(cls, mixin):
        return
    key = (cls, mixin)
    if key not in _classes:
        _classes[key] = type(
            cls.__name__,
            (mixin, cls),
            {"__module__": cls.__module__, "__qualname__": cls.__qualname__},
        )
    instance.__class__ = _classes[key]
