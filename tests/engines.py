"""Drive an isolation engine as the unittest hook does: for tests and the benchmark."""

from __future__ import annotations

from isolatedtest.engine import Engine


class Run:
    """An engine and its scopes: the class's opens before its setup writes."""

    def __init__(self, *resources, reset: bool = True) -> None:
        self.engine = Engine(resources, reset)
        self.engine.start_run()
        self.engine.open("class")

    def start_test(self, exempt: bool = False) -> None:
        self.engine.open("test", exempt=exempt)

    def end_test(self) -> list:
        return self.engine.close()

    def end_class(self) -> list:
        """End the class; the next one's scope opens."""
        leaks = self.engine.close()
        self.engine.open("class")
        return leaks

    def end_run(self) -> list:
        return self.engine.end_run()
