"""``manage.py isolatedtest``: ``manage.py test`` with every test's caches isolated."""

from django.conf import settings
from django.core.management.commands import test
from django.test.utils import get_runner

from isolatedtest import runner as runner_module
from isolatedtest.options import add_arguments
from isolatedtest.runner import IsolationRunnerMixin, isolated_runner


class Command(test.Command):
    help = (
        "Run tests exactly like `test`, with each test's cache writes undone when "
        "it ends and leaks reported."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        runner_class = get_runner(settings, self.test_runner)
        if not (
            isinstance(runner_class, type)
            and issubclass(runner_class, IsolationRunnerMixin)
        ):
            add_arguments(parser)

    def handle(self, *test_labels, **options):
        runner_class = isolated_runner(get_runner(settings, options["testrunner"]))
        # The stock command resolves its runner from a dotted path: publish the
        # composed class where that path can find it.
        name = f"_composed_{runner_class.__name__}"
        setattr(runner_module, name, runner_class)
        options["testrunner"] = f"{runner_module.__name__}.{name}"
        super().handle(*test_labels, **options)
