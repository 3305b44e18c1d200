"""What every compat test checks: the whole cache it sees.

A test writes a key and then asserts that, among every key any compat test
writes, the cache holds exactly its class's setup key and its own key.
Under plain ``manage.py test`` the second test of a class fails (it sees the
first one's key); under ``manage.py isolatedtest`` each test passes.
"""

from django.core.cache import cache

from compatapp.keys import ALL_KEYS, SETUP_VALUE


class Checks:
    kind = ""
    has_setup = True

    @classmethod
    def write_setup(cls):
        cache.set(f"{cls.kind}:setup", SETUP_VALUE)

    def expected(self, **written):
        expected = {f"{self.kind}:{part}": value for part, value in written.items()}
        if self.has_setup:
            expected[f"{self.kind}:setup"] = SETUP_VALUE
        return expected

    def assert_sees_only(self, **written):
        self.assertEqual(cache.get_many(ALL_KEYS), self.expected(**written))

    def write_and_check(self, part):
        cache.set(f"{self.kind}:{part}", part)
        self.assert_sees_only(**{part: part})
