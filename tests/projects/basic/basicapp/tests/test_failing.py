"""A suite with two failures, for exit codes, --failfast and --debug-sql."""

from django.db import connection
from django.test import TestCase


class FailingTests(TestCase):
    def test_1_fails_after_running_sql(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 4242")
        self.fail("fails on purpose after running SQL")

    def test_2_fails_plainly(self):
        self.fail("fails on purpose")

    def test_3_passes(self):
        pass
