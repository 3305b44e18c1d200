"""DRF's APITestCase and APISimpleTestCase, with AnonRateThrottle (3/min).

DRF keeps each client's request history in the default cache, keyed by its
address (127.0.0.1 for the test client). Each test makes four requests and
expects the fourth to be throttled: under plain ``manage.py test`` the
history of one test (and class) reaches the next, whose first request is
then throttled; under ``manage.py isolatedtest`` each test starts afresh.
"""

from django.conf import settings


class ThrottleChecks:
    def test_a_three_requests_pass_then_the_fourth_is_throttled(self):
        self.check_throttle()

    def test_b_three_requests_pass_then_the_fourth_is_throttled(self):
        self.check_throttle()

    def check_throttle(self):
        statuses = [self.client.get("/api/throttled/").status_code for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])


# Without DRF (settings.HAS_DRF is False) this module has no tests.
if settings.HAS_DRF:
    from rest_framework.test import APISimpleTestCase, APITestCase

    class APITestCaseThrottleTests(ThrottleChecks, APITestCase):
        pass

    class APISimpleTestCaseThrottleTests(ThrottleChecks, APISimpleTestCase):
        pass
