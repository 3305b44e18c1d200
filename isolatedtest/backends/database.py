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

from isolatedtest.resources.overrides import NamespacedCache

PATHS = frozenset({"django.core.cache.backends.db.DatabaseCache"})
LIKE_ESCAPE = "!"


def store_of(params: dict) -> tuple:
    """Aliases on one table share their data."""
    return ("database", str(params.get("LOCATION", "")))


class Cache(NamespacedCache):
    def _cull(self, db, cursor, now, num):
        namespace = self._isolatedtest_namespace
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        in_generation_sql = f"{quote('cache_key')} LIKE %s ESCAPE '{LIKE_ESCAPE}'"
        pattern = f"%{_like_escape(namespace.live_generation().tag)}%"
        # Counted by listing (the backend has just counted the whole table;
        # one COUNT per set, as without isolation).
        select_keys = (
            f"SELECT {quote('cache_key')} FROM {table} WHERE {in_generation_sql}"
        )
        cursor.execute(select_keys, [pattern])
        num = len(cursor.fetchall())
        if num <= self._max_entries:
            return
        if self._cull_frequency == 0:
            cursor.execute(f"DELETE FROM {table} WHERE {in_generation_sql}", [pattern])
            namespace.emptied()
            return
        expired = f"{quote('expires')} < %s"
        cursor.execute(
            f"DELETE FROM {table} WHERE {expired} AND {in_generation_sql}",
            [connection.ops.adapt_datetimefield_value(now), pattern],
        )
        remaining = num - cursor.rowcount
        if remaining > self._max_entries:
            cull_num = remaining // self._cull_frequency
            generation_keys = (
                f"(SELECT {quote('cache_key')} FROM {table} "
                f"WHERE {in_generation_sql}) generation"
            )
            cursor.execute(
                connection.ops.cache_key_culling_sql() % generation_keys,
                [pattern, cull_num],
            )
            last_cache_key = cursor.fetchone()
            if last_cache_key:
                cursor.execute(
                    f"DELETE FROM {table} WHERE {quote('cache_key')} < %s "
                    f"AND {in_generation_sql}",
                    [last_cache_key[0], pattern],
                )
        cursor.execute(select_keys, [pattern])
        remaining_keys = {row[0] for row in cursor.fetchall()}
        namespace.prune(
            lambda writer, key, version: writer.make_key(key, version) in remaining_keys
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


def _like_escape(text: str) -> str:
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text
