"""The resources of a run: each place where state a test can leave lives.

A resource follows the engine's scopes (``isolatedtest.engine.Resource``)
by one of two strategies: a snapshot of what a scope starts with, restored
in place when it ends (LocMemCache stores, cache objects' attributes), or a
namespace per scope on a shared server (Memcached, files, tables, Redis:
``isolatedtest.backends``). The dependency recorder is a resource too: it
reports what each scope read from outside.
"""

from __future__ import annotations

from django.conf import settings

from isolatedtest.backends import backend_class, covered, is_redis, partial_cover
from isolatedtest.conf import Config
from isolatedtest.engine import Resource
from isolatedtest.outcomes import BadLocation, Unsupported

PARTIAL_EFFECT = "what they keep elsewhere is NOT isolated between tests"


def build(
    config: Config, reset: bool, run_id: str, dependencies: bool, named: bool = True
) -> tuple[list[Resource], list[Unsupported | BadLocation]]:
    """Return the resources covering every cache, and the aliases they cannot.

    Without ``named``, LocMem leaks are counted, not named (nothing reports
    their keys).
    """
    from isolatedtest.resources.access import AccessResource
    from isolatedtest.resources.attributes import AttributeResource
    from isolatedtest.resources.locmem import LocMemResource
    from isolatedtest.resources.shared import SharedResource

    unsupported: list[Unsupported | BadLocation] = []
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
    resources: list[Resource] = [
        LocMemResource(config, reset, named),
        SharedResource(config, reset, run_id),
    ]
    if redis:
        from isolatedtest.backends.redis import RedisResource

        resource = RedisResource(config, reset, run_id)
        unsupported += resource.unsupported
        resources.append(resource)
    resources.append(AttributeResource(config, reset))
    if dependencies:
        resources.append(AccessResource(config, reset))
    return resources, unsupported
