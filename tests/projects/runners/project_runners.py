"""The project's test runners."""

import unittest

from django.test.runner import DiscoverRunner


class CountingResult(unittest.TextTestResult):
    """A project result class: says how many tests it saw."""

    def stopTestRun(self):
        super().stopTestRun()
        self.stream.writeln(f"CountingResult saw {self.testsRun} test(s)")


class GreetingRunner(DiscoverRunner):
    """A DiscoverRunner subclass with an option of its own and a result class."""

    def __init__(self, greeting="hello", **kwargs):
        super().__init__(**kwargs)
        self.greeting = greeting

    @classmethod
    def add_arguments(cls, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--greeting",
            default="hello",
            help="What GreetingRunner prints before the tests run.",
        )

    def setup_test_environment(self, **kwargs):
        super().setup_test_environment(**kwargs)
        print(f"GreetingRunner says {self.greeting}", flush=True)

    def get_resultclass(self):
        return super().get_resultclass() or CountingResult


class NotADiscoverRunner:
    """A runner with DiscoverRunner's interface but not its base class."""

    def __init__(self, **kwargs):
        self.verbosity = kwargs.get("verbosity", 1)

    @classmethod
    def add_arguments(cls, parser):
        pass

    def run_tests(self, test_labels, **kwargs):
        print("NotADiscoverRunner ran without running any test", flush=True)
        return 0
