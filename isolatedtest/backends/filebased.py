"""FileBasedCache: namespaced keys, culling within the current generation.

A store is a directory. The backend counts its files to decide whether to
cull, and culls by deleting across the whole directory, or by calling
``clear()`` (CULL_FREQUENCY 0). Under isolation the directory also holds the
class's and the run's generations, other workers' and other runs': the
count would be wrong and the deletions would reach files that are not the
scope's. Here it counts what the current scope sees (its generation) and
deletes only there, as it would in a directory holding just that.
"""

from __future__ import annotations

import os
import threading

from isolatedtest.resources.namespaces import in_generation, internal_tag
from isolatedtest.resources.overrides import NamespacedCache

PATHS = frozenset({"django.core.cache.backends.filebased.FileBasedCache"})

# Set while a file cache culls in this thread: its clear() is its own.
_culling = threading.local()


def store_of(params: dict) -> tuple:
    """Aliases on one directory share their data."""
    return ("file", os.path.abspath(str(params.get("LOCATION", ""))))


class Cache(NamespacedCache):
    def _cull(self):
        if internal_tag():
            return  # copying what a scope inherits: no write of the test's
        namespace = self._isolatedtest_namespace
        # Each file of the generation is a key it knows: fewer keys, no cull.
        if len(namespace.live_generation().records) < self._max_entries:
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
                record[2]._key_to_file(key, version)
                for (_, key, version), record in generation.records.items()
            )
            return [name for name in files if os.path.exists(name)]

    def clear(self, *args, **kwargs):
        if getattr(_culling, "active", False):
            # The backend's own clear() when it culls: empty the generation.
            super(NamespacedCache, self).clear()
            self._isolatedtest_namespace.emptied()
            return
        super().clear(*args, **kwargs)
