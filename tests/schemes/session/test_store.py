"""The store itself: schema on first use with a recorded version, failures as typed
errors, and logs that never show a whole session id."""

from __future__ import annotations

import logging
import re
import socket
import stat
import threading

import pytest
from sqlalchemy import create_engine, inspect, text

from kernel import Kernel
from kernel.errors import ConfigError, KernelError, redact
from schemes.session import SessionStoreClosed, SessionStoreError
from schemes.session.schema import SCHEMA_VERSION

from .conftest import handler


def _kernel(url: str) -> Kernel:
    return Kernel(config={"session": {"store": url, "sweep_interval": 0}}, load_entrypoints=False)


def test_schema_is_created_on_first_use_with_its_version(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with _kernel(url) as k:
        assert not (tmp_path / "s.db").exists()  # nothing touched until first use
        k.context().new("session:null")
    engine = create_engine(url)
    assert {
        "roc_session",
        "roc_session_value",
        "roc_session_tombstone",
        "roc_session_schema",
    } <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version FROM roc_session_schema")).scalar() == SCHEMA_VERSION
        )
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert stat.S_IMODE((tmp_path / "s.db").stat().st_mode) == 0o600  # ids are credentials
    engine.dispose()
    with _kernel(url) as k:  # reopening keeps one version row
        k.context().new("session:null")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM roc_session_schema")).scalar() == 1
    engine.dispose()


def test_a_store_from_a_newer_release_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with _kernel(url) as k:
        k.context().new("session:null")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE roc_session_schema SET version = :v"), {"v": SCHEMA_VERSION + 1})
    engine.dispose()
    with _kernel(url) as k, pytest.raises(ConfigError, match="newer"):
        k.context().new("session:null")


def test_a_store_from_an_older_release_is_refused_and_left_as_it_was(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # schema version 1: sessions and values keyed by the id
        conn.execute(text("CREATE TABLE roc_session_schema (version INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO roc_session_schema VALUES (1)"))
        conn.execute(
            text(
                "CREATE TABLE roc_session (id VARCHAR(32) PRIMARY KEY, owner VARCHAR(255), "
                "created BIGINT, last_access BIGINT, expires BIGINT, idle INTEGER, "
                "deadline BIGINT) WITHOUT ROWID"
            )
        )
        conn.execute(text(f"INSERT INTO roc_session VALUES ('{'A' * 32}', NULL, 1, 1, 9, 8, NULL)"))
    before = sorted(inspect(engine).get_table_names())
    engine.dispose()
    with _kernel(url) as k, pytest.raises(ConfigError, match="older.*new database"):
        k.context().new("session:null")
    engine = create_engine(url)
    assert sorted(inspect(engine).get_table_names()) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, expires FROM roc_session")).all() == [("A" * 32, 9)]
        assert conn.execute(text("SELECT version FROM roc_session_schema")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize(
    "url",
    ["sqlite:////nonexistent-dir/x/sessions.db", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
)
def test_an_unreachable_store_is_a_store_error(url):
    with _kernel(url) as k:
        with pytest.raises(SessionStoreError) as e:
            k.context().new("session:null")
        assert isinstance(e.value, KernelError)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://roc:s3cret@127.0.0.1:abc/test",
        "postgresql://roc:s3cret@[::1:5432/x",
        "postgresql+psycopg://roc:s3/cret@host:xx/db",  # '/' in the password
        "postgresql+psycopg//roc:s3cret@host/db",  # ':' missing after the scheme
    ],
)
def test_an_unparseable_store_url_is_a_config_error_without_its_password(url):
    """At start-up when its kind of database is wrong, else when sessions are first used
    (parsing the rest loads SQLAlchemy, which a kernel using no sessions never does)."""
    with pytest.raises(ConfigError, match="not a SQLAlchemy URL") as e:
        with _kernel(url) as k:
            k.context().new("session:null")
    assert "s3cret" not in str(e.value) and "s3/cret" not in str(e.value)
    assert "roc:***@" in str(e.value)


def test_a_store_reached_through_a_link_is_made_private_too(tmp_path):
    (tmp_path / "link.db").symlink_to(tmp_path / "target.db")
    with _kernel(f"sqlite:///{tmp_path / 'link.db'}") as k:
        k.context().new("session:null")
    assert stat.S_IMODE((tmp_path / "target.db").stat().st_mode) == 0o600


def test_a_store_in_a_missing_directory_fails_and_creates_nothing(tmp_path):
    missing = tmp_path / "no" / "such"
    with _kernel(f"sqlite:///{missing / 's.db'}") as k:
        with pytest.raises(SessionStoreError, match="cannot create"):
            k.context().new("session:null")
    assert not (tmp_path / "no").exists()


def test_a_refused_connection_is_one_line():
    with _kernel("postgresql+psycopg://nobody@127.0.0.1:1/none") as k:
        with pytest.raises(SessionStoreError) as e:
            k.context().new("session:null")
    assert "\n" not in str(e.value) and "\t" not in str(e.value)


def test_a_server_that_never_answers_times_out():
    """A PostgreSQL host that accepts and then says nothing must not hang a request
    forever: connect_timeout (10 s by default; here 1 s from the URL)."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with _kernel(f"postgresql+psycopg://nobody@127.0.0.1:{port}/x?connect_timeout=1") as k:
            failed: list[BaseException] = []

            def request() -> None:
                try:
                    k.context().new("session:null")
                except BaseException as e:  # checked below
                    failed.append(e)

            worker = threading.Thread(target=request, daemon=True)
            worker.start()
            worker.join(60)  # a bound on the wait, not a measurement
            assert not worker.is_alive()
            assert len(failed) == 1 and isinstance(failed[0], SessionStoreError)


def test_logs_never_show_a_whole_session_id(make_kernel, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="roc.session")
    k = make_kernel(idle=10, max_per_user=1, on_limit="evict")
    ctx = k.context("u")
    uris = [ctx.new("session:null", {"user": "u"}) for _ in range(2)]
    ctx.delete(uris[1])
    ctx.new("session:null")
    clock.advance(11)
    handler(k).sweep()
    assert caplog.records  # something was logged
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not re.search(r"[0-9A-F]{32}", logged)
    assert f"session {redact(uris[1][8:])} ended" in logged  # the kernel's 8-digit form


def test_closing_the_store_leaves_a_connection_in_use_to_its_request(make_kernel):
    """Kernel.close() while a request holds a connection: the request finishes on it, and
    the connection is closed when it is given back (closing a SQLite connection under
    another thread can crash the process)."""
    k = make_kernel()
    k.context().new("session:null")
    db = handler(k).store.db
    conn = db.acquire()
    k.close()
    assert conn.execute("SELECT 1").fetchone()[0] == 1
    db.release(conn)
    with pytest.raises(SessionStoreClosed):
        db.acquire()


@pytest.mark.parametrize("url", ["sqlite://x.db", "sqlite://u:pw@/x.db"])
def test_a_sqlite_url_with_two_slashes_is_a_config_error_at_start_up(url):
    with pytest.raises(ConfigError, match="sqlite:///PATH") as e:
        _kernel(url)
    assert "pw" not in str(e.value)
