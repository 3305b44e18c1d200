"""DatabaseCache: namespaced keys, culling within the current generation.

A store is a table. The backend counts its rows to decide whether to cull,
and culls by deleting across the whole table (or all of it, at
CULL_FREQUENCY 0). Under isolation the table also holds the class's and the
run's generations, other workers' and other runs': here it counts the
current generation's rows and deletes only those, every DELETE with a
``LIKE`` condition on the generation's tag. A test that drops the table
takes every key of the run with it: that is not a failed reset.
"""

from __future__ import annotations

from django.db import connections, router

from isolatedtest.resources.namespaces import internal_tag
from isolatedtest.resources.overrides import NamespacedCache

PATHS = frozenset({"django.core.cache.backends.db.DatabaseCache"})
LIKE_ESCAPE = "!"


def store_of(params: dict) -> tuple:
    """Aliases on one table share their data."""
    return ("database", str(params.get("LOCATION", "")))


class Cache(NamespacedCache):
    def _cull(self, db, cursor, now, num):
        """Django's own culling, on the current generation's rows only."""
        if internal_tag():
            return  # copying what a scope inherits: no write of the test's
        namespace = self._isolatedtest_namespace
        generation = GenerationCursor(cursor, connections[db], self._table, namespace)
        # Counted by listing (the backend has just counted the whole table;
        # one COUNT per set, as without isolation).
        num = len(generation.keys())
        if num <= self._max_entries:
            return
        if self._cull_frequency == 0:
            # Django calls clear(), which is a fresh generation here: the key
            # it is about to write was made in this one. Empty it instead.
            generation.execute(f"DELETE FROM {generation.table} WHERE 1 = 1")
            namespace.emptied()
            return
        super()._cull(db, generation, now, num)
        remaining = generation.keys()
        namespace.prune(
            lambda writer, key, version: writer.make_key(key, version) in remaining
        )

    def _isolatedtest_store_gone(self, error: Exception) -> bool:
        """Whether the cache table is gone (a test dropped it): nothing remains."""
        db = router.db_for_write(self.cache_model_class)
        try:
            with connections[db].cursor() as cursor:
                tables = connections[db].introspection.table_names(cursor)
        except Exception:
            return False
        return self._table not in tables


class GenerationCursor:
    """The backend's cursor, each statement of its culling kept to one generation.

    Its DELETEs get a condition on the generation's tag; its culling query
    reads the generation's keys instead of the table's.
    """

    def __init__(self, cursor, connection, table: str, namespace) -> None:
        self._cursor = cursor
        quote = connection.ops.quote_name
        self.table = quote(table)
        self._condition = f"{quote('cache_key')} LIKE %s ESCAPE '{LIKE_ESCAPE}'"
        self._pattern = f"%{_like_escape(namespace.live_generation().tag)}%"
        self._select = f"SELECT {quote('cache_key')} FROM {self.table} WHERE "
        self._culling = connection.ops.cache_key_culling_sql() % self.table

    def keys(self) -> set[str]:
        self._cursor.execute(self._select + self._condition, [self._pattern])
        return {row[0] for row in self._cursor.fetchall()}

    def execute(self, sql: str, params=()):
        params = list(params)
        if sql.startswith(f"DELETE FROM {self.table} WHERE "):
            sql, params = f"{sql} AND {self._condition}", [*params, self._pattern]
        elif sql == self._culling:
            keys = f"({self._select}{self._condition}) generation"
            sql = sql.replace(self.table, keys, 1)
            params = [self._pattern, *params]
        return self._cursor.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self._cursor, name)  # rowcount, fetchone...


def _like_escape(text: str) -> str:
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text
