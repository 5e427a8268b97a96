"""A SINK writes in one statement when nothing else is due: the store's SQL condition
must say "write" exactly when the scheme's own rules would write with no touch (live,
this principal's, expiry not due to slide), on every backend."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemes.session.scheme import SessionScheme
from schemes.session.store import Store

_ids = itertools.count()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    store.open()
    yield store
    store.close()


def _expected(owner, expires, idle, deadline, now, principal) -> bool:
    if owner is not None and owner != principal:
        return False
    if now >= expires:
        return False
    return SessionScheme._touch_due(None, expires, idle, deadline, now) is None  # type: ignore[arg-type]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    now=st.floats(min_value=1_000_000, max_value=1_000_100)
    | st.integers(1_000_000, 1_000_100).map(float),
    idle=st.sampled_from([0, 1, 49, 50, 51, 99, 100, 101, 149, 150, 1800]) | st.integers(0, 5000),
    deadline_ahead=st.none() | st.integers(min_value=-5, max_value=6000),
    step=st.integers(min_value=-2, max_value=2),
    slack=st.none() | st.integers(min_value=-3, max_value=6000),
    owner=st.sampled_from([None, "ann", "bob"]),
    principal=st.sampled_from([None, "ann"]),
)
def test_the_one_statement_write_happens_exactly_when_no_check_or_touch_is_due(
    store, now, idle, deadline_ahead, step, slack, owner, principal
):
    # the expiry is drawn around the point where a touch becomes due: new - expires
    # near max(1, idle // 50), where new is the expiry a touch now would write
    deadline = None if deadline_ahead is None else math.ceil(now) + deadline_ahead
    new = math.ceil(now) + idle
    if deadline is not None and new > deadline:
        new = deadline
    expires = new - (max(1, idle // 50) + step if slack is None else slack)
    sid = f"{next(_ids):032X}"
    store.create(sid, owner, int(now) - 10, expires, idle, deadline)
    wrote = store.put_quietly(sid, "k", "j", b"1", now, principal)
    assert wrote == _expected(owner, expires, idle, deadline, now, principal)
    row = store.value(sid, "k")
    assert row is not None and (row[4] is not None) == wrote  # nothing written when False


def test_no_session_row_writes_nothing(store):
    assert store.put_quietly("F" * 32, "k", "j", b"1", 1_000_000.5, None) is False
    assert store.value("F" * 32, "k") is None
