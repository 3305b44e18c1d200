"""A third-party package's process cache, isolated through the entry point group.

On the path only where a test puts it (PYTHONPATH): its distribution's
entry points register ``registry``, ``broken`` and ``faulty`` under
``isolatedtest.resources``; ``faulty`` is there only with FIXTURE_FAULTY set.
"""

import os

from isolatedtest.engine import Resource
from isolatedtest.resources.process import SnapshotResource

REGISTRY: dict[str, str] = {}  # what the package remembers per process


class RegistryResource(SnapshotResource):
    name = "fixture registry"

    def capture(self) -> dict:
        return dict(REGISTRY)

    def restore(self, saved: dict) -> None:
        REGISTRY.clear()
        REGISTRY.update(saved)


def registry_resource(reset: bool) -> RegistryResource:
    return RegistryResource(reset)


def broken_resource(reset: bool):
    raise RuntimeError("this resource cannot start")


class FaultyResource(Resource):
    """A plugin's resource that fails where the engine calls it outside a test."""

    name = "faulty"

    def start_worker(self) -> None:
        raise RuntimeError("start_worker fails")

    def begin_fixture(self, scope) -> None:
        raise RuntimeError("begin_fixture fails")

    def end_fixture(self, scope, inner) -> None:
        raise RuntimeError("end_fixture fails")


def faulty_resource(reset: bool):
    return FaultyResource() if os.environ.get("FIXTURE_FAULTY") else None
