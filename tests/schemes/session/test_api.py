"""The public names of schemes.session, and the typed codec's edges."""

from __future__ import annotations

import schemes.session as session
from kernel.errors import AccessDenied, KernelError, ResourceNotFound
from schemes.session.codec import decode, encode


def test_all_is_the_public_api():
    assert sorted(session.__all__) == sorted(
        [
            "Session",
            "SessionScheme",
            "InvalidSessionId",
            "SessionExpired",
            "UsernameMismatch",
            "TooManySessions",
            "KeyNotSet",
            "SessionStoreError",
            "SessionStoreClosed",
        ]
    )
    for name in session.__all__:
        assert getattr(session, name)


def test_error_hierarchy():
    assert issubclass(session.UsernameMismatch, AccessDenied)
    assert issubclass(session.KeyNotSet, ResourceNotFound)
    for name in ("InvalidSessionId", "SessionExpired", "TooManySessions", "SessionStoreError"):
        assert issubclass(getattr(session, name), KernelError)


def test_tagged_values_are_not_confused_with_plain_lists():
    for value in (["l", 1], ["b", "AA=="], [["x", "<a/>"], b"1"], {"d": ["d", {}]}):
        kind, data = encode(value)
        assert decode(kind, data) == value
    assert encode([1, 2])[0] == "j" and encode([1, b"2"])[0] == "t"


def test_session_is_a_default_plugin():
    from kernel import Kernel

    with Kernel(load_entrypoints=False) as k:
        assert k.schemes["session"].plugin == "schemes.session.plugin"
        assert k.config["session"]["store"] == "sqlite://"
        assert k.config["session"]["idle"] == 1800
