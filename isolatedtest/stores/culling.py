"""File and database caches cull within the current generation only.

Both backends count their entries to decide whether to cull, and cull by
deleting across their whole directory or table, or by calling ``clear()``
(CULL_FREQUENCY 0). Under isolation the directory or table also holds the
class's and the run's generations, other workers' and other runs': the count
would be wrong and the deletions would reach data that is not the scope's.
Here both count what the current scope sees (its generation) and delete only
there, as the backend would on a store holding just that.
"""

from __future__ import annotations

import os
import threading

from django.db import connections, router

from isolatedtest.stores.namespace import in_generation
from isolatedtest.stores.namespaced import NamespacedCache

LIKE_ESCAPE = "!"

# Set while a file cache culls in this thread: its clear() is its own.
_culling = threading.local()


class FileNamespacedCache(NamespacedCache):
    def _cull(self):
        namespace = self._isolatedtest_namespace
        # Each file of the generation is a key it knows: fewer keys, no cull.
        if len(namespace.live_generation().keys) < self._max_entries:
            return
        _culling.active = True
        try:
            super()._cull()
        finally:
            _culling.active = False
        namespace.prune(lambda writer, key, version: writer.has_key(key, version))

    def _list_cache_files(self):
        """Return the files of the current generation (the backend's own view)."""
        generation = self._isolatedtest_namespace.live_generation()
        with in_generation(generation.tag):
            files = (
                generation.writers[group]._key_to_file(key, version)
                for group, key, version in generation.keys
            )
            return [name for name in files if os.path.exists(name)]

    def clear(self, *args, **kwargs):
        if getattr(_culling, "active", False):
            # The backend's own clear() when it culls: empty the generation.
            super(NamespacedCache, self).clear()
            self._isolatedtest_namespace.emptied()
            return
        super().clear(*args, **kwargs)


class DatabaseNamespacedCache(NamespacedCache):
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
