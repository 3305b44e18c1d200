"""The no_isolation decorator, on a class and on a method.

The fixture (basic: basicapp/tests/test_exempt.py) runs in name order: an
exempt class whose second test sees the first one's write, an exempt method
whose write its later siblings see, and after each a class that must not
see any of it.
"""

import pytest

MODULE = "basicapp.tests.test_exempt"


@pytest.fixture(scope="module")
def exempt_run(manage, tmp_path_factory):
    path = tmp_path_factory.mktemp("exempt") / "leaks.json"
    run = manage("basic", "isolatedtest", MODULE, "-v", "2", "--leak-report", str(path))
    return run, path


def test_plain_test_lets_the_later_classes_see_the_writes(manage):
    run = manage("basic", "test", MODULE)
    assert run.returncode == 1, run.log
    assert run.problems == {
        f"{MODULE}.Test2AfterSharedClassTests."
        "test_does_not_see_the_exempt_class_writes": "FAIL",
        f"{MODULE}.Test3ExemptMethodTests.test_3_sees_the_exempt_write_only": "FAIL",
        f"{MODULE}.Test4AfterExemptMethodTests."
        "test_does_not_see_the_exempt_method_write": "FAIL",
    }, run.log


def test_exempt_class_and_method_share_writes_only_within_their_class(exempt_run):
    run, _ = exempt_run
    assert run.returncode == 0, run.log
    assert run.ran == 7, run.log
    assert set(run.results.values()) == {"ok"}, run.log


def test_an_exempt_class_writes_are_not_reported(exempt_run, read_leaks):
    _, path = exempt_run
    _, leaks = read_leaks(path)
    assert not [leak for leak in leaks if "Test1SharedClassTests" in leak[1]], leaks


def test_a_normal_test_of_a_class_with_an_exempt_method_is_still_reported(
    exempt_run, read_leaks
):
    _, path = exempt_run
    _, leaks = read_leaks(path)
    assert (
        "test",
        f"{MODULE}.Test3ExemptMethodTests.test_2_sees_the_exempt_write_and_writes",
        "default",
        ("exempt:normal",),
    ) in leaks
    # The exempt method's own write is not charged to the method itself.
    assert not [leak for leak in leaks if leak[1].endswith(".test_1_exempt_writes")], (
        leaks
    )
