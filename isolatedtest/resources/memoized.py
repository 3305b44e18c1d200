"""The project's memoized functions (``functools.lru_cache``, ``functools.cache``).

A function that memoizes a lookup of the test database (a tax rate, a
feature table) keeps the first test's answer for every later test. Its
entries cannot be copied out, so a scope that added some is undone by
emptying the function: the scopes around it then recompute their values on
the next call.

Covered: every memoized function (or method) defined in a module of the
project, found in the modules loaded when the run starts and in those
imported later: modules outside the standard library and the installed
distributions, and not Django's or isolatedtest's own.

Seeing that one was filled costs nothing while none is called: on Python
3.12+ ``sys.monitoring`` reports when a memoized function's own code starts,
which is when it computes a new value (a miss). Older Pythons have no such
event: the sizes of the functions' caches are read (in one pass, in C) when a
scope opens and ends.
"""

from __future__ import annotations

import functools
import gc
import itertools
import os
import re
import sys
import sysconfig

from isolatedtest.engine import ABSENT, PRESENT, TEST, Entries, Resource, Scope

_WRAPPER = type(functools.lru_cache(maxsize=None)(len))  # functools._lru_cache_wrapper
_OWN = ("django.", "isolatedtest.")
# Where distributions are installed, whatever the interpreter (Debian's
# dist-packages, user site, other environments on sys.path).
_INSTALLED_DIR = re.compile(r"[/\\](site|dist)-packages[/\\]")
_MONITORING = getattr(sys, "monitoring", None)
FILLED = "(filled)"  # a memoized function's entries have no names


class Memoized:
    """One memoized function and its dotted name."""

    __slots__ = ("function", "name")

    def __init__(self, function, name: str) -> None:
        self.function = function
        self.name = name


class MemoizedResource(Resource):
    """Every memoized function of the project, emptied when a scope that filled it ends.

    A scope's state is {Memoized: size when first filled in it}; none while
    it filled nothing.
    """

    name = "memoized"
    # Until it watches functions by their sizes: then every scope's end reads them.
    leaves_with_state = True

    def __init__(self, reset: bool, exclude: re.Pattern[str] | None) -> None:
        self.reset = reset
        self._exclude = exclude  # dotted names left alone
        self._installed = _installed_roots()
        self._seen: set[str] = set()  # modules looked at
        self._by_code: dict[object, list[Memoized]] = {}
        # Without monitoring: each function, its entries and their number.
        self._watched: list[Memoized] = []
        self._entries: list = []
        self._sizes: list[int] = []
        self._after_test = False  # the last scope boundary was a test's end
        self._imports = _ImportWatch(self)
        self._tool: int | None = None  # the sys.monitoring tool, once started

    def _start(self) -> None:
        """The run starts (not before: a parallel run's main process runs no test).

        What the functions hold now is not a test's.
        """
        self._tool = None if _MONITORING is None else _free_tool()
        if self._tool is not None:
            _MONITORING.register_callback(
                self._tool, _MONITORING.events.PY_START, self._started
            )
        self._find(started=False)
        sys.meta_path.insert(0, self._imports)

    def _find(self, started: bool = True) -> list[Memoized]:
        """Look at the modules not yet seen; return the memoized functions new there.

        Once the run has ``started``, what a new one holds was computed in it.
        """
        new = []
        for module_name, module in list(sys.modules.items()):
            if module_name in self._seen:
                continue
            self._seen.add(module_name)
            if self._is_project(module_name, module):
                new += self._in_module(module_name, module)
        for found in new:
            code = _code(found.function)
            self._by_code.setdefault(code, []).append(found)
            if self._tool is not None:
                _MONITORING.set_local_events(
                    self._tool, code, _MONITORING.events.PY_START
                )
                continue
            self._watched.append(found)
            self._entries.append(_entries(found.function))
            self._sizes.append(len(self._entries[-1]) if not started else 0)
        if self._watched and self.leaves_with_state:
            self.leaves_with_state = False
            self.engine.refresh()
        return new

    def _is_project(self, name: str, module) -> bool:
        path = getattr(module, "__file__", None)
        if not path or name.startswith(_OWN) or name in ("django", "isolatedtest"):
            return False
        real = os.path.realpath(path)
        return not (real.startswith(self._installed) or _INSTALLED_DIR.search(real))

    def _in_module(self, module_name: str, module) -> list[Memoized]:
        found = []
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == module_name:
                members = [getattr(m, "__func__", m) for m in vars(value).values()]
            else:
                members = [value]
            for member in members:
                if type(member) is not _WRAPPER or member.__module__ != module_name:
                    continue
                if not hasattr(getattr(member, "__wrapped__", None), "__code__"):
                    continue  # memoizes a builtin: no code to watch
                name = f"{module_name}.{member.__qualname__}"
                if self._exclude is None or not self._exclude.match(name):
                    found.append(Memoized(member, name))
        return found

    # Python 3.12+: a miss runs the function's code, which monitoring reports.

    def _started(self, code, offset: int) -> None:
        filled = self._filled(self.engine.receiver())
        for memoized in self._by_code.get(code, ()):
            if memoized not in filled:
                filled[memoized] = memoized.function.cache_info().currsize

    def imported(self) -> None:
        """A module is being imported: look at it when the next scope opens."""
        if self.enters or self.engine is None:
            return
        self.enters = True
        self.engine.refresh()
        # And when this scope ends, if that comes first.
        self._filled(self.engine.receiver())

    def enter(self, scope: Scope) -> None:
        if scope.parent is None:
            self._start()
        elif self._tool is None:  # no monitoring: what changed since, the parent's
            # Nothing runs between a test's end and the next test's start.
            if not (self._after_test and scope.kind == TEST):
                self._poll(scope.parent)
            if self._watched:
                return  # its leave looks at them
        else:
            self._filled_before(scope.parent)
        # Scopes are looked at only while there is something to look at (or
        # a module was imported): with monitoring, never; else, every scope.
        self.enters = self._tool is None and bool(self._watched)
        self.engine.refresh()

    def _filled_before(self, scope: Scope | None) -> None:
        """Charge ``scope`` with the new functions already filled on import."""
        for memoized in self._find():
            if memoized.function.cache_info().currsize and scope is not None:
                self._filled(scope)[memoized] = 0

    def _poll(self, scope: Scope | None) -> None:
        """Without monitoring: note in ``scope`` each function whose size changed.

        The sizes are read in one pass in C, and compared as one list.
        """
        self._after_test = False
        if len(self._seen) != len(sys.modules):
            self._find()
        sizes = list(map(len, self._entries))
        if sizes == self._sizes:
            return
        if scope is not None:
            for index, (now, before) in enumerate(zip(sizes, self._sizes, strict=True)):
                if now != before:
                    self._filled(scope).setdefault(self._watched[index], before)
        self._sizes = sizes

    def _filled(self, scope: Scope) -> dict:
        """Return ``scope``'s {Memoized: size before}, made if need be."""
        filled = scope.state[self.slot]
        if filled is None:
            filled = scope.state[self.slot] = {}
        return filled

    def leave(self, scope: Scope, restore: bool) -> list[Entries] | None:
        if self._tool is None:
            self._poll(scope)
            self._after_test = scope.kind == TEST
        elif self.enters:  # imported in this scope: what it filled is its own
            self._filled_before(scope)
        filled = scope.state[self.slot]
        if not filled:
            return None
        changes = []
        for memoized, size in filled.items():
            info = memoized.function.cache_info()
            if not (info.currsize > size or 0 < info.currsize == info.maxsize):
                continue  # it computed nothing it kept (it raised)
            kind = f"memoized {memoized.name}"
            found = {FILLED: (ABSENT, PRESENT)}
            changes.append(Filled(("", "", kind, kind), kind, found))
            if restore:
                memoized.function.cache_clear()
        if self._tool is None:
            self._sizes = list(map(len, self._entries))
        return changes

    def hand_over(self, scope: Scope) -> None:
        filled = scope.state[self.slot]
        if not filled:
            return
        parent = self._filled(scope.parent)
        for memoized, size in filled.items():
            parent.setdefault(memoized, size)

    def begin_fixture(self, scope: Scope) -> None:
        if self._tool is None:
            self._poll(self.engine.current)

    def end_fixture(self, scope: Scope, inner: list[Scope]) -> None:
        if self._tool is None:
            self._poll(scope)

    def end_run(self) -> None:
        if self._imports in sys.meta_path:
            sys.meta_path.remove(self._imports)
        if self._tool is not None:
            events = _MONITORING.events
            for code in self._by_code:
                _MONITORING.set_local_events(self._tool, code, events.NO_EVENTS)
            _MONITORING.register_callback(self._tool, events.PY_START, None)
            _MONITORING.free_tool_id(self._tool)
            self._tool = None


class Filled(Entries):
    """A memoized function a scope filled: its entries have no names."""

    __slots__ = ()
    names_as = ""


class _ImportWatch:
    """A finder that finds nothing: it tells the resource an import is under way."""

    def __init__(self, resource: MemoizedResource) -> None:
        self._resource = resource

    def find_spec(self, name, path=None, target=None):
        self._resource.imported()
        return None


class _Size:
    """A function's number of entries, where its dict cannot be found."""

    __slots__ = ("function",)

    def __init__(self, function) -> None:
        self.function = function

    def __len__(self) -> int:
        return self.function.cache_info().currsize


def _entries(function):
    """Return the dict an lru_cache keeps its entries in, found once.

    CPython's wrapper shows it to the garbage collector just before the
    function it wraps (3.10 to 3.13); ``cache_clear()`` empties it in place.
    Where that does not hold, ``cache_info()`` answers, at a higher cost.
    """
    referents = gc.get_referents(function)
    for before, after in itertools.pairwise(referents):
        if (
            after is function.__wrapped__
            and type(before) is dict
            and len(before) == function.cache_info().currsize
        ):
            return before
    return _Size(function)


def _code(function):
    return function.__wrapped__.__code__


def _free_tool() -> int | None:
    """Claim a free sys.monitoring tool id (coverage.py and debuggers keep theirs)."""
    for tool in (4, 3, 5):
        if _MONITORING.get_tool(tool) is None:
            _MONITORING.use_tool_id(tool, "isolatedtest")
            return tool
    return None


def _installed_roots() -> tuple[str, ...]:
    """Where the standard library and installed distributions live."""
    paths = sysconfig.get_paths()
    roots = {paths[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(os.path.realpath(root) + os.sep for root in roots)
