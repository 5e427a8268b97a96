"""The database under a store: a SQLAlchemy engine, and raw connections for the hot path.

SQLAlchemy builds and compiles every statement once (Core, with bind parameters, for the
store's dialect); requests then run the compiled SQL on DBAPI connections kept in a small
lock-free pool. A request thus costs what the database costs, not an ORM round trip:
``Connection.execute`` alone would triple the price of a key read on SQLite.

SQLite: WAL, ``synchronous=NORMAL`` (committed transactions survive a killed process),
``busy_timeout``, foreign keys on, and writes that read first open with ``BEGIN IMMEDIATE``
so two writers never deadlock upgrading a read lock. An in-memory database lives on one
connection that threads take turns on. PostgreSQL: psycopg 3 in autocommit mode, explicit
``BEGIN``/``COMMIT`` around multi-statement writes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import NullPool, StaticPool

from kernel.errors import ConfigError

from .errors import SessionStoreClosed, SessionStoreError
from .storeurl import hide_password

__all__ = ["Database", "Statement"]

BUSY_TIMEOUT_MS = 30_000
PG_MAX_CONNECTIONS = 16
PG_CONNECT_TIMEOUT_S = 10  # unless the URL says otherwise: an unreachable server fails


class Statement:
    """A Core statement compiled once for one dialect.

    ``args(values)`` turns values given in ``order`` into the DBAPI parameters: the tuple
    itself when the compiled SQL wants exactly them in that order (SQLite, usually),
    otherwise a reordered tuple (with any constants the compiler added, such as SQLite's
    ``OFFSET 0``), or a dict for named parameter styles.
    """

    __slots__ = ("sql", "_plan", "_names", "_constants")

    def __init__(self, stmt: Any, engine: Engine, order: Sequence[str] = ()) -> None:
        compiled = stmt.compile(dialect=engine.dialect)
        self.sql: str = compiled.string
        constants = {name: b.value for name, b in compiled.binds.items() if name not in order}
        if None in constants.values():
            raise AssertionError(f"statement parameters {set(constants)} not in {order}")
        names = compiled.positiontup
        self._names: tuple[str, ...] | None = None
        self._constants = constants
        self._plan: tuple[Any, ...] | None = None
        if names is None:
            self._names = tuple(order)
        else:
            plan = tuple(order.index(n) if n in order else constants[n] for n in names)
            self._plan = (
                None
                if plan == tuple(range(len(order))) and not constants
                else tuple((n in order, p) for n, p in zip(names, plan, strict=True))
            )

    def args(self, values: tuple[Any, ...]) -> Any:
        if self._names is not None:
            named = dict(zip(self._names, values, strict=True))
            if self._constants:
                named.update(self._constants)
            return named
        if self._plan is None:
            return values
        return tuple([values[p] if given else p for given, p in self._plan])


class Database:
    """An engine plus a pool of raw DBAPI connections, for one store URL."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError) as e:  # ValueError: a port that is not a number
            raise ConfigError(
                f"session.store {hide_password(url)!r} is not a SQLAlchemy URL: {e}"
            ) from None
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        self._limit: threading.BoundedSemaphore | None = None
        try:
            if self.dialect == "sqlite":
                self.engine = self._sqlite(parsed)
            elif self.dialect == "postgresql":
                self.engine = self._postgresql(parsed)
            else:
                raise ConfigError(
                    f"session.store {parsed.render_as_string(hide_password=True)!r}: "
                    "roc stores sessions in sqlite or postgresql"
                )
        except (NoSuchModuleError, ModuleNotFoundError) as e:
            raise ConfigError(
                f"session.store: database driver missing ({e}); for PostgreSQL install "
                "roc-kernel[postgres]"
            ) from None
        except ArgumentError as e:  # e.g. sqlite://x.db: a host where SQLite takes none
            reason = str(e).splitlines()[0]
            raise ConfigError(
                f"session.store {parsed.render_as_string(hide_password=True)!r} is not a "
                f"usable URL: {reason} (a SQLite file is sqlite:///PATH, three slashes)"
            ) from None
        self.errors: tuple[type[Exception], ...] = (self.engine.dialect.loaded_dbapi.Error,)
        self.integrity_error: type[Exception] = self.engine.dialect.loaded_dbapi.IntegrityError
        self.begin_sql = "BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN"
        self._idle: list[Any] = []
        self._proxies: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._closed = False

    @property
    def memory(self) -> bool:
        return self._limit is not None and self.dialect == "sqlite"

    def _sqlite(self, url: URL) -> Engine:
        database = url.database or ""
        memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
        args = {"check_same_thread": False}
        if memory:
            engine = create_engine(url, poolclass=StaticPool, connect_args=args)
            self._limit = threading.BoundedSemaphore(1)
        else:
            engine = create_engine(url, poolclass=NullPool, connect_args=args)

        @event.listens_for(engine, "connect")
        def configure(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None  # we say when transactions begin
            if not memory:
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
                dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    def _postgresql(self, url: URL) -> Engine:
        if url.get_driver_name() != "psycopg":
            url = url.set(drivername="postgresql+psycopg")
        self._limit = threading.BoundedSemaphore(PG_MAX_CONNECTIONS)
        args = {} if "connect_timeout" in url.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
        return create_engine(url, poolclass=NullPool, connect_args=args)

    def statement(self, stmt: Any, *order: str) -> Statement:
        return Statement(stmt, self.engine, order)

    # -- the connection pool ---------------------------------------------------------------

    def acquire(self) -> Any:
        """A DBAPI connection for this thread; give it back with release() or discard()."""
        if self._limit is not None:
            self._limit.acquire()
        with self._lock:  # never hand out a connection close() is closing
            conn = self._idle.pop() if self._idle and not self._closed else None
        if conn is not None:
            return conn
        try:
            return self._connect()
        except BaseException:
            if self._limit is not None:
                self._limit.release()
            raise

    def _connect(self) -> Any:
        with self._lock:
            if self._closed:
                raise SessionStoreClosed("the session store is closed (its kernel has closed)")
        try:
            proxy = self.engine.raw_connection()
        except self.errors as e:
            raise self.failure(e) from None
        except Exception as e:  # SQLAlchemy wraps DBAPI errors raised while connecting
            raise self.failure(e) from None
        conn = proxy.driver_connection
        assert conn is not None
        if self.dialect == "postgresql":
            conn.autocommit = True
        with self._lock:
            self._proxies[id(conn)] = proxy
        return conn

    def release(self, conn: Any) -> None:
        with self._lock:
            closed = self._closed
            if not closed:
                self._idle.append(conn)
        if closed:  # the store closed while this was in use: close it now, not under a user
            self._drop(conn)
        if self._limit is not None:
            self._limit.release()

    def _drop(self, conn: Any) -> None:
        with self._lock:
            proxy = self._proxies.pop(id(conn), None)
            last = not self._proxies
        try:
            if proxy is not None:
                proxy.close()
        finally:
            if last:
                self.engine.dispose()

    def discard(self, conn: Any) -> None:
        """Drop a connection that failed; a fresh one replaces it on demand. (An in-memory
        database is its one connection: that one is kept.)"""
        if self.memory:
            self.release(conn)
            return
        with self._lock:
            proxy = self._proxies.pop(id(conn), None)
        try:
            if proxy is not None:
                proxy.invalidate()
        finally:
            if self._limit is not None:
                self._limit.release()

    def failure(self, error: Exception) -> SessionStoreError:
        """The one-line error a request sees (drivers' messages run over several lines)."""
        message = " ".join(str(error).split())
        return SessionStoreError(f"session store failed: {type(error).__name__}: {message}")

    @property
    def path(self) -> str | None:
        """The file of a SQLite file store; None for memory or a server."""
        url = self.url
        if self.dialect != "sqlite" or self.memory or not url.database or "uri" in url.query:
            return None  # ("uri": a SQLite URI filename, which SQLite itself interprets)
        return self.url.database

    def create_file(self, make_dirs: bool = False) -> None:
        """Create a new SQLite store's file readable by its user only (0600), before
        SQLite would create it 0644: session ids are credentials. ``make_dirs``: make
        missing directories (0700) too, for roc's own data dir; a directory someone named
        in a URL is theirs to make (a typo should fail, not grow a tree)."""
        path = self.path
        if path is None:
            return
        path = os.path.realpath(path)  # a link to a file yet to be made: make its target
        if os.path.exists(path):
            return
        try:
            if make_dirs:
                os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:  # another process made it first
            pass
        except OSError as e:
            raise SessionStoreError(
                f"session store failed: cannot create {path}: {e.strerror or e}"
            ) from None

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(conn, *args)`` on a pooled connection; database errors become
        SessionStoreError and cost the connection."""
        conn = self.acquire()
        try:
            result = fn(conn, *args)
        except self.errors as e:
            self.discard(conn)
            raise self.failure(e) from None
        except BaseException:
            self.release(conn)
            raise
        self.release(conn)
        return result

    def transaction(self, conn: Any, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(conn, *args)`` inside one write transaction, rolled back if it raises."""
        conn.execute(self.begin_sql)
        try:
            result = fn(conn, *args)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def close(self) -> None:
        """Close the idle connections now and each busy one when its request releases it
        (closing a SQLite connection another thread is using can crash the process)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            proxies = [self._proxies.pop(id(conn), None) for conn in idle]
            busy = bool(self._proxies)
        for proxy in proxies:
            try:
                if proxy is not None:
                    proxy.close()
            except Exception:  # closing a broken connection must not stop the rest
                pass
        if not busy:
            self.engine.dispose()
