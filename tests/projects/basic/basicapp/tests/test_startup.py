"""What a test sees of cache state written at startup (AppConfig.ready).

Run with FIXTURE_WRITE_AT_STARTUP=1 and FIXTURE_EXPECT_STARTUP set to the
JSON value the tests must see for 'startup:key': "warm" in a serial run
(the state at the run's start), null in forked workers (which start empty).
"""

import json
import os

from django.core.cache import cache
from django.test import SimpleTestCase


def expected():
    return json.loads(os.environ["FIXTURE_EXPECT_STARTUP"])


class StartupStateTests(SimpleTestCase):
    def test_1_sees_the_expected_startup_state_and_deletes_it(self):
        self.assertEqual(cache.get("startup:key"), expected())
        cache.delete("startup:key")

    def test_2_sees_the_expected_startup_state_again(self):
        self.assertEqual(cache.get("startup:key"), expected())


class StartupStateLaterClassTests(SimpleTestCase):
    def test_sees_the_expected_startup_state(self):
        self.assertEqual(cache.get("startup:key"), expected())
