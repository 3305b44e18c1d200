"""Per-test cache isolation for Django test suites."""

from isolatedtest.result import no_isolation

__all__ = ["no_isolation"]
__version__ = "0.1.0"
