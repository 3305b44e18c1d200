"""The resources of a run: each place where state a test can leave lives.

A resource follows the engine's scopes (``isolatedtest.engine.Resource``)
by one of two strategies: a snapshot of what a scope starts with, restored
in place when it ends (LocMemCache stores, cache objects' attributes), or a
namespace per scope on a shared server (Memcached, files, tables, Redis:
``isolatedtest.backends``). The dependency recorder is a resource too: it
reports what each scope read from outside. Caches outside the cache
framework (``SITE_CACHE``, the ContentType cache, memoized functions, and
what other packages register under the ``isolatedtest.resources`` entry
point group) are resources of the same kinds, each with a name that turns
it off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache

from isolatedtest.backends import backend_class, covered, is_redis, partial_cover
from isolatedtest.conf import Config, ConfigurationError
from isolatedtest.engine import Resource
from isolatedtest.internals import locmem_stores
from isolatedtest.outcomes import BadLocation, BrokenResource, Unsupported

PARTIAL_EFFECT = "what they keep elsewhere is NOT isolated between tests"
OWN_STORE = (
    "a LocMemCache whose instances keep their data in dicts of their own, not "
    "LocMemCache's"
)
OWN_EFFECT = "what they keep there is NOT isolated between tests"
ENTRY_POINTS = "isolatedtest.resources"
Problem = Unsupported | BadLocation | BrokenResource


def build(
    config: Config,
    reset: bool,
    run_id: str,
    dependencies: bool,
    off: tuple[str, ...] = (),
) -> tuple[list[Resource], list[Problem]]:
    """Return the resources covering every cache, and what they cannot cover.

    ``off``: resources outside the cache framework to leave out.
    """
    from isolatedtest.resources.access import AccessResource
    from isolatedtest.resources.attributes import AttributeResource
    from isolatedtest.resources.locmem import LocMemResource
    from isolatedtest.resources.shared import SharedResource

    unsupported: list[Problem] = []
    redis = False
    for alias, params in settings.CACHES.items():
        cls = backend_class(params)
        redis = redis or (cls is not None and is_redis(cls))
        if alias in config.exclude_aliases:
            continue
        backend = params.get("BACKEND", "")
        if cls is None or not covered(cls):
            unsupported.append(Unsupported(alias, backend))
        elif partial_cover(cls):
            unsupported.append(
                Unsupported(alias, backend, partial_cover(cls), PARTIAL_EFFECT)
            )
        elif issubclass(cls, LocMemCache) and not keeps_locmem_stores(cls, params):
            unsupported.append(Unsupported(alias, backend, OWN_STORE, OWN_EFFECT))
    resources: list[Resource] = [
        LocMemResource(config, reset),
        SharedResource(config, reset, run_id),
    ]
    if redis:
        from isolatedtest.resources.redis import RedisResource

        resource = RedisResource(config, reset, run_id)
        unsupported += resource.unsupported
        resources.append(resource)
    resources.append(AttributeResource(config, reset))
    outside, broken = _outside(config, reset, off)
    resources += outside
    if dependencies:
        resources.append(AccessResource(config, reset))
    return resources, unsupported + broken


def keeps_locmem_stores(cls: type, params: dict) -> bool:
    """Whether a LocMemCache subclass's instances keep their data in LocMem's stores.

    Those are the stores ``locmem.py`` snapshots. Only an instance tells:
    its ``__init__`` may rebind them. One is made, as the cache handler
    would, and dropped; it contacts nothing.
    """
    if cls is LocMemCache:
        return True
    location = params.get("LOCATION", "")
    options = {k: v for k, v in params.items() if k not in ("BACKEND", "LOCATION")}
    try:
        instance = cls(location, options)
    except Exception:  # its tests will meet the same error
        return True
    stores, expiries, _ = locmem_stores()
    return getattr(instance, "_cache", None) is stores.get(location) and getattr(
        instance, "_expire_info", None
    ) is expiries.get(location)


def _outside(
    config: Config, reset: bool, off: tuple[str, ...]
) -> tuple[list[Resource], list[BrokenResource]]:
    """Return the resources for caches outside the cache framework, by name."""
    from importlib.metadata import entry_points

    from isolatedtest.resources.memoized import MemoizedResource
    from isolatedtest.resources.process import ContentTypeCache, SiteCache

    def installed(app: str, kind: type) -> Callable[[bool], Resource | None]:
        return lambda reset: kind(reset) if _is_installed(app) else None

    factories: dict[str, object] = {
        "sites": installed("django.contrib.sites", SiteCache),
        "contenttypes": installed("django.contrib.contenttypes", ContentTypeCache),
        "memoized": lambda reset: MemoizedResource(reset, config.memoized_excluded()),
    }
    plugins = {point.name: point for point in entry_points(group=ENTRY_POINTS)}
    unknown = sorted(set(off) - set(factories) - set(plugins))
    if unknown:
        raise ConfigurationError(
            f"ISOLATEDTEST['OFF'] or --isolation-off (ISOLATEDTEST_OFF) names "
            f"{', '.join(map(repr, unknown))}, which is not a resource "
            f"isolatedtest knows; use some of: {', '.join([*factories, *plugins])}."
        )
    resources: list[Resource] = []
    broken: list[BrokenResource] = []
    for name, factory in factories.items():
        resource = None if name in off else factory(reset)
        if resource is not None:
            resources.append(resource)
    for name, point in plugins.items():
        if name in off:
            continue
        try:
            resource = point.load()(reset)
            if resource is not None and not isinstance(resource, Resource):
                raise TypeError(
                    f"it made {resource!r}, not an isolatedtest.engine.Resource"
                )
        except Exception as error:  # a plugin's bug must not stop the run
            broken.append(BrokenResource(name, point.value, repr(error)))
            continue
        if resource is not None:
            resources.append(resource)
    return resources, broken


def _is_installed(app: str) -> bool:
    """Whether ``app`` is installed (read from settings before django.setup())."""
    if apps.ready:
        return apps.is_installed(app)
    return any(name.startswith(app) for name in settings.INSTALLED_APPS)
