"""Per-test cache isolation for Django test suites."""

__all__ = ["no_isolation"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Imported on first use: pytest loads the plugin (a submodule) for every
    # run in the environment, and this package's modules import Django's.
    if name == "no_isolation":
        from isolatedtest.result import no_isolation

        return no_isolation
    raise AttributeError(f"module 'isolatedtest' has no attribute {name!r}")
