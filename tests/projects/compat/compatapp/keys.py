"""Every cache key the compat tests write: what a test can look for."""

KINDS = [
    "rollback",
    "static",
    "async",
    "subtest",
    "skips",
    "skippedclass",
    "expectedfailure",
    "overrideclass",
    "overridemethod",
    "doctest",
    "errors",
    "order-a",
    "order-b",
    "order-c",
    "failing",
]
PARTS = ["setup", "partial", "a", "b", "c", "a0", "a1", "a2"]
ALL_KEYS = [f"{kind}:{part}" for kind in KINDS for part in PARTS]
SETUP_VALUE = "setup"
SERVER_VALUE = "written by the server thread"
