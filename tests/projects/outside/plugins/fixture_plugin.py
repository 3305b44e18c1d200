"""A third-party package's process cache, isolated through the entry point group.

On the path only where a test puts it (PYTHONPATH): its distribution's
entry points register ``registry`` and ``broken`` under
``isolatedtest.resources``.
"""

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
