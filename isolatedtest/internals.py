"""Every private name of Django (and unittest) isolatedtest uses, in one place.

Where Django offers a seam, isolatedtest uses it: ``TEST_RUNNER`` and
``DiscoverRunner``'s ``test_runner``, ``get_resultclass``-made result
classes, ``parallel_test_suite`` and ``ParallelTestSuite``'s
``init_worker`` and ``runner_class``, ``caches.create_connection``, the
``setting_changed`` signal. Where it offers none, the private names are
these; the test suite runs on Django 4.2, 5.2, 6.0 and 6.1 (``noxfile.py``),
so each is checked on all four:

============================================  ==================================
name                                          used for, and the tests guarding it
============================================  ==================================
``locmem._caches``, ``_expire_info``,         every LocMemCache store's data
``_locks`` (this module)                      (tests/test_engine.py, every run)
``caches._connections`` (this module)         the instances made so far
                                              (tests/test_shared_servers.py)
``TestSuite._handleModuleFixture``,           where a module's and a class's
``_handleModuleTearDown``,                    setups begin (tests/test_lifecycle.py,
``TestResult._previousTestClass``             tests/test_class_setup_edges.py)
(``result.py``)
``TestCase._classSetupFailed``,               a failed setUpClass/setUpModule
``TestResult._moduleSetUpFailed`` (this       (tests/test_class_setup_edges.py)
module)
``TestCase._testMethodName``                  ``@no_isolation`` on a method
(``result.py``)                               (tests/test_no_isolation_decorator.py)
``FileBasedCache._cull``,                     culling within a generation
``_list_cache_files``, ``_key_to_file``,      (tests/test_shared_servers.py,
``_max_entries`` (``backends/filebased.py``)  Django's conformance)
``DatabaseCache._cull``, ``_table``,          culling within a generation; a
``_max_entries``, ``_cull_frequency``,        dropped table (the same, and
``cache_model_class``                         tests/test_fidelity.py)
(``backends/database.py``)
``BaseMemcachedCache._cache``, ``_options``   watching the client; ``ignore_exc``
(``backends/memcached.py``)                   (tests/test_shared_servers.py)
``ContentTypeManager._cache``                 the ContentType cache's rows
(``resources/process.py``)                    (tests/test_process_caches.py,
                                              Django's contenttypes_tests)
============================================  ==================================
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.cache import caches
from django.core.cache.backends import locmem


def locmem_stores() -> tuple[dict, dict, dict]:
    """Return LocMemCache's {LOCATION: data}, {LOCATION: expiry}, {LOCATION: lock}."""
    return locmem._caches, locmem._expire_info, locmem._locks


def made_caches() -> Iterator[tuple[str, object]]:
    """Yield (alias, instance) for each cache instance this thread's handler made."""
    for alias in caches.settings:
        instance = getattr(caches._connections, alias, None)
        if instance is not None:
            yield alias, instance


def class_setup_failed(cls: type) -> bool:
    """Whether unittest's suite saw ``cls``'s setUpClass fail (or skip)."""
    return getattr(cls, "_classSetupFailed", False)


def module_setup_failed(result: object) -> bool:
    """Whether unittest's suite saw the current module's setUpModule fail."""
    return getattr(result, "_moduleSetUpFailed", False)
