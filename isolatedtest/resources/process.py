"""Caches a process keeps outside the cache framework, copied and put back per scope.

``SITE_CACHE`` (``django.contrib.sites``) and the ContentType manager's cache
hold rows of the test database: a test that renames the current site or
recreates a content type leaves the stale object there for every later test,
after its transaction rolled back. Both are dicts, so they are isolated
exactly as LocMemCache stores are: copied when a scope opens, put back in
place when it ends. Third-party packages build theirs on
``SnapshotResource``, or ``RowCache`` for a cache of rows (see the README).

A row cache's entry is judged as the next scope would see it: one that
holds a row the scope did not create, change or delete (no ``post_save``
or ``post_delete`` of it in the scope) holds what loading the row gives, so
filling it, refilling it or emptying it changes nothing. Only an entry of a
row the scope wrote can be stale once its transaction is rolled back: that
is a leak, compared field by field.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from isolatedtest.engine import ABSENT, Entries, Resource, Scope

_EMPTY: dict = {}  # what an empty cache's copy is (shared, never mutated)
_MISSING = object()


class SnapshotResource(Resource):
    """A process-global cache, as a dict of entries, copied per scope.

    A subclass names itself (``name``: the kind in reports and in
    ``ISOLATEDTEST['OFF']``) and says how to ``capture`` its entries (a
    new dict) and ``restore`` them in place. Entries are found changed by
    identity (an object changed in place is not seen), and compared by
    ``token``: the object itself, unless a subclass says otherwise.
    """

    name = ""

    def __init__(self, reset: bool) -> None:
        self.reset = reset
        self._before: dict = _EMPTY  # before a wider scope's fixture

    def capture(self) -> dict:
        """Return a copy of the cache's entries."""
        raise NotImplementedError

    def restore(self, saved: dict) -> None:
        """Make the cache hold ``saved``'s entries again, in place."""
        raise NotImplementedError

    def label(self, key) -> str:
        """Return how reports name an entry."""
        return str(key)

    def token(self, value) -> object:
        """Return what stands for an entry's value when comparing before and now."""
        return value

    def enter(self, scope: Scope) -> None:
        scope.state[self.slot] = self.capture() or _EMPTY

    def leave(self, scope: Scope, restore: bool) -> list[Entries] | None:
        saved = scope.state[self.slot]
        now = self.capture()
        if not now and not saved:
            return None
        changed = _changed(saved, now)
        if not changed:
            return None
        if restore:
            self.restore(saved)
        found = {
            self.label(key): (self._token(saved, key), self._token(now, key))
            for key in changed
        }
        return [Entries(("", "", self.name, self.name), self.name, found)]

    def _token(self, entries: dict, key) -> object:
        return self.token(entries[key]) if key in entries else ABSENT

    def begin_fixture(self, scope: Scope) -> None:
        self._before = self.capture()

    def end_fixture(self, scope: Scope, inner: list[Scope]) -> None:
        """Make what the fixture wrote ``scope``'s: the scopes inside keep it."""
        before, now = self._before, self.capture()
        self._before = _EMPTY
        changed = _changed(before, now)
        for open_scope in inner if changed else ():
            saved = dict(open_scope.state[self.slot])
            for key in changed:
                if key in now:
                    saved[key] = now[key]
                else:
                    saved.pop(key, None)
            open_scope.state[self.slot] = saved


def _changed(saved: dict, now: dict) -> list:
    """Return the keys added, rebound or removed between two copies."""
    found = [key for key, value in now.items() if saved.get(key, _MISSING) is not value]
    found += [key for key in saved if key not in now]
    return found


class RowCache(SnapshotResource):
    """A cache of database rows: only entries of rows the scope wrote are leaks.

    ``models()`` returns the model classes its rows are (once Django's apps
    are loaded); their ``post_save`` and ``post_delete`` tell which rows
    each scope wrote. Saves that send no signal (``QuerySet.update``, raw
    SQL) are not seen.
    """

    def __init__(self, reset: bool) -> None:
        super().__init__(reset)
        self._written: dict[Scope, set] = {}  # {scope: {(model, pk)} it wrote}
        self._listening = False

    def models(self) -> tuple[type, ...]:
        raise NotImplementedError

    def _listen(self) -> None:
        if self._listening or not apps.ready:
            return
        self._listening = True
        for model in self.models():
            post_save.connect(self._wrote, sender=model, weak=False)
            post_delete.connect(self._wrote, sender=model, weak=False)

    def _wrote(self, sender, instance, **kwargs) -> None:
        if self.engine is not None:
            scope = self.engine.receiver()
            row = (sender._meta.concrete_model, instance.pk)
            self._written.setdefault(scope, set()).add(row)

    def enter(self, scope: Scope) -> None:
        self._listen()
        super().enter(scope)

    def leave(self, scope: Scope, restore: bool) -> list[Entries] | None:
        written = self._written.pop(scope, ())
        saved = scope.state[self.slot]
        now = self.capture()
        changed = _changed(saved, now) if (saved or now) else ()
        if restore and changed:
            self.restore(saved)
        found = {
            self.label(key): (_fields(saved.get(key)), _fields(now[key]))
            for key in changed
            if key in now and (now[key]._meta.concrete_model, now[key].pk) in written
        }
        if not found:
            return None
        return [Entries(("", "", self.name, self.name), self.name, found)]

    def hand_over(self, scope: Scope) -> None:
        written = self._written.pop(scope, None)
        if written:
            self._written.setdefault(scope.parent, set()).update(written)

    def end_run(self) -> None:
        for model in self.models() if self._listening else ():
            post_save.disconnect(self._wrote, sender=model)
            post_delete.disconnect(self._wrote, sender=model)


def _fields(row) -> object:
    """A row as its concrete fields' values (ABSENT for no row)."""
    if row is None:
        return ABSENT
    return tuple(getattr(row, f.attname) for f in row._meta.concrete_fields)


class SiteCache(RowCache):
    """``django.contrib.sites``' ``SITE_CACHE``: Site objects by id and by host.

    ``Site.objects.clear_cache()`` rebinds the module's dict, so the current
    one is read each time. Until Django's apps are loaded (a fixture may
    call ``django.setup()``), the model's module cannot be imported, and no
    Site can be cached.
    """

    name = "SITE_CACHE"
    _module = None

    def models(self) -> tuple[type, ...]:
        from django.contrib.sites.models import Site

        return (Site,)

    def _sites(self):
        if self._module is None and apps.ready:
            from django.contrib.sites import models

            self._module = models
        return self._module

    def capture(self) -> dict:
        module = self._module or self._sites()
        return dict(module.SITE_CACHE) if module is not None else {}

    def restore(self, saved: dict) -> None:
        module = self._module or self._sites()
        if module is not None:
            module.SITE_CACHE.clear()
            module.SITE_CACHE.update(saved)


class ContentTypeCache(RowCache):
    """The ContentType manager's cache: {database: {(app_label, model) or id: row}}.

    Read once Django's apps are loaded, as ``SiteCache``.
    """

    name = "ContentType cache"
    _cache = None

    def models(self) -> tuple[type, ...]:
        from django.contrib.contenttypes.models import ContentType

        return (ContentType,)

    def _rows(self) -> dict | None:
        if self._cache is None and apps.ready:
            from django.contrib.contenttypes.models import ContentType

            self._cache = ContentType.objects._cache
        return self._cache

    def capture(self) -> dict:
        cache = self._cache if self._cache is not None else self._rows()
        if not cache:
            return {}
        return {
            (database, key): row
            for database, rows in cache.items()
            for key, row in rows.items()
        }

    def label(self, key) -> str:
        database, key = key
        return f"{database}: {'.'.join(key) if isinstance(key, tuple) else key}"

    def restore(self, saved: dict) -> None:
        cache = self._cache if self._cache is not None else self._rows()
        if cache is None:
            return
        for rows in cache.values():
            rows.clear()
        for (database, key), row in saved.items():
            cache.setdefault(database, {})[key] = row
