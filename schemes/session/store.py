"""The session store: every read and write of the session tables, as compiled statements.

The store knows no clock and no URIs: callers pass ``now`` (integer epoch seconds) and
ids. Reads run in autocommit (one statement is one consistent snapshot); writes that read
first run in one transaction. Limits are exact under concurrency because creating a
session with a limit serializes on a lock: SQLite's write lock (``BEGIN IMMEDIATE``) or,
on PostgreSQL, a transaction-scoped advisory lock per user and one for the global limit.
Sweeping deletes expired sessions in bounded batches through the expiry index, with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so many processes can sweep one store.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from kernel.errors import ConfigError

from .database import Database
from .errors import SessionExpired, TooManySessions
from .paths import is_default_store
from .schema import SCHEMA_VERSION, SESSIONS, TOMBSTONES, VALUES, VERSIONS, Base

__all__ = ["Store"]

S, V, T = SESSIONS.c, VALUES.c, TOMBSTONES.c
_GLOBAL_LOCK = 0x726F635F73657373  # "roc_sess": the advisory lock of max_sessions


def _p(name: str) -> Any:
    return bindparam(name)


class Store:
    """Sessions, their values and tombstones in one SQL database."""

    def __init__(self, url: str) -> None:
        self.db = db = Database(url)
        self._ready = False
        upsert_insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        st = db.statement
        self._session = st(
            select(S.owner, S.created, S.last_access, S.expires, S.idle, S.deadline).where(
                S.id == _p("sid")
            ),
            "sid",
        )
        the_key = and_(V.session_seq == S.seq, V.key == _p("key"))
        self._value = st(
            select(S.owner, S.expires, S.idle, S.deadline, V.kind, V.data)
            .select_from(SESSIONS.outerjoin(VALUES, the_key))
            .where(S.id == _p("sid")),
            "sid",
            "key",
        )
        of_session = SESSIONS.join(VALUES, V.session_seq == S.seq)
        self._values = st(
            select(V.key, V.kind, V.data)
            .select_from(of_session)
            .where(S.id == _p("sid"))
            .order_by(V.key),
            "sid",
        )
        self._keys = st(
            select(V.key).select_from(of_session).where(S.id == _p("sid")).order_by(V.key), "sid"
        )
        self._touch = st(
            update(SESSIONS)
            .where(S.id == _p("sid"), S.expires < _p("new_expires"))
            .values(last_access=_p("now"), expires=_p("new_expires")),
            "sid",
            "now",
            "new_expires",
        )

        # the session's row key is looked up in the same statement: no session row, no write
        def upsert(where: Any) -> Any:
            return upsert_insert(VALUES).from_select(
                [V.session_seq, V.key, V.kind, V.data],
                select(
                    S.seq,
                    bindparam("key", type_=V.key.type),
                    bindparam("kind", type_=V.kind.type),
                    bindparam("data", type_=V.data.type),
                ).where(where),
            )

        def replacing(ins: Any) -> Any:
            return ins.on_conflict_do_update(
                index_elements=[V.session_seq, V.key],
                set_={"kind": ins.excluded.kind, "data": ins.excluded.data},
            )

        ins = upsert(S.id == _p("sid"))
        self._put = st(replacing(ins), "sid", "key", "kind", "data")
        # the same write, made only while nothing else would be: the session is live for
        # this principal and its expiry needs no touch (the scheme's _touch_due, in SQL:
        # new - expires < max(1, idle // 50), without a division)
        new = case(
            (and_(S.deadline.is_not(None), _p("ceil") + S.idle > S.deadline), S.deadline),
            else_=_p("ceil") + S.idle,
        )
        quiet = or_(new - S.expires < 1, S.idle >= 50 * (new - S.expires + 1))
        live = and_(
            S.id == _p("sid"),
            S.expires > bindparam("now", type_=Float),
            or_(S.owner.is_(None), S.owner == bindparam("principal", type_=S.owner.type)),
            quiet,
        )
        self._put_live = st(
            replacing(upsert(live)), "sid", "key", "kind", "data", "now", "ceil", "principal"
        )
        self._put_new = st(
            ins.on_conflict_do_nothing(index_elements=[V.session_seq, V.key]),
            "sid",
            "key",
            "kind",
            "data",
        )
        self._del_key = st(
            delete(VALUES).where(
                V.session_seq == select(S.seq).where(S.id == _p("sid")).scalar_subquery(),
                V.key == _p("key"),
            ),
            "sid",
            "key",
        )
        self._insert = st(
            insert(SESSIONS).values(
                id=_p("sid"),
                owner=_p("owner"),
                created=_p("now"),
                last_access=_p("now"),
                expires=_p("new_expires"),
                idle=_p("idle_s"),
                deadline=_p("deadline_s"),
            ),
            "sid",
            "owner",
            "now",
            "new_expires",
            "idle_s",
            "deadline_s",
        )
        self._rotate = st(
            update(SESSIONS)
            .where(S.id == _p("sid"), S.expires > _p("now"))
            .values(
                id=_p("new_sid"),
                owner=_p("owner"),
                last_access=_p("now"),
                expires=_p("new_expires"),
            ),
            "sid",
            "now",
            "new_sid",
            "owner",
            "new_expires",
        )
        self._end = st(delete(SESSIONS).where(S.id == _p("sid")).returning(S.expires), "sid")
        self._tombstone = st(
            upsert_insert(TOMBSTONES)
            .values(id=_p("sid"), ended=_p("now"), reason=_p("why"), purge_at=_p("purge"))
            .on_conflict_do_nothing(index_elements=[T.id]),
            "sid",
            "now",
            "why",
            "purge",
        )
        self._tombstoned = st(
            select(T.reason).where(T.id == _p("sid"), T.purge_at > _p("now")), "sid", "now"
        )
        live = S.expires > _p("now")
        self._count_user = st(
            select(func.count()).select_from(SESSIONS).where(S.owner == _p("owner"), live),
            "owner",
            "now",
        )
        self._count_all = st(select(func.count()).select_from(SESSIONS).where(live), "now")
        self._lru_user = st(
            select(S.id)
            .where(S.owner == _p("owner"), live)
            .order_by(S.last_access, S.created)
            .limit(_p("n")),
            "owner",
            "now",
            "n",
        )
        self._lru_all = st(
            select(S.id).where(live).order_by(S.last_access, S.created).limit(_p("n")), "now", "n"
        )
        expired = (
            select(S.seq)
            .where(S.expires <= _p("now"))
            .order_by(S.expires)
            .limit(_p("n"))
            .with_for_update(skip_locked=True)
        )
        self._sweep = st(
            delete(SESSIONS).where(S.seq.in_(expired.scalar_subquery())).returning(S.id, S.expires),
            "now",
            "n",
        )
        stale = (
            select(T.id)
            .where(T.purge_at <= _p("now"))
            .limit(_p("n"))
            .with_for_update(skip_locked=True)
        )
        self._purge = st(delete(TOMBSTONES).where(T.id.in_(stale.scalar_subquery())), "now", "n")
        self._count_expired = st(
            select(func.count()).select_from(SESSIONS).where(S.expires <= _p("now")), "now"
        )
        self._list = st(
            select(
                S.id,
                S.owner,
                S.created,
                S.last_access,
                S.expires,
                select(func.count()).where(V.session_seq == S.seq).scalar_subquery(),
            )
            .order_by(S.last_access.desc(), S.id)
            .limit(_p("n")),
            "n",
        )

    # -- schema ----------------------------------------------------------------------------

    def open(self) -> None:
        """Create the tables if they are missing and check the recorded schema version."""
        if self._ready:
            return
        engine = self.db.engine
        self.db.create_file(make_dirs=is_default_store(self.db.path))
        try:
            with engine.begin() as conn:
                if self.db.dialect == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(_GLOBAL_LOCK + 1)))
                found = None  # checked before create_all: an old layout gets no new indexes
                if inspect(conn).has_table(VERSIONS.name):
                    found = conn.execute(select(func.max(VERSIONS.c.version))).scalar()
                if found is not None and found > SCHEMA_VERSION:
                    raise ConfigError(
                        f"session store has schema version {found}, newer than this roc "
                        f"understands ({SCHEMA_VERSION}); upgrade roc"
                    )
                if found is not None and found < SCHEMA_VERSION:
                    raise ConfigError(
                        f"session store has schema version {found}, older than this roc's "
                        f"({SCHEMA_VERSION}), which cannot read it; point session.store at a "
                        "new database (its sessions are not migrated)"
                    )
                Base.metadata.create_all(conn)
                if found is None:
                    conn.execute(insert(VERSIONS).values(version=SCHEMA_VERSION))
        except self.db.errors as e:
            raise self.db.failure(e) from None
        except Exception as e:
            if isinstance(e, ConfigError):
                raise
            orig = getattr(e, "orig", None)
            raise self.db.failure(orig if isinstance(orig, Exception) else e) from None
        self._ready = True

    def close(self) -> None:
        self.db.close()

    # -- reads -----------------------------------------------------------------------------

    def session(self, sid: str) -> tuple[Any, ...] | None:
        """``(owner, created, last_access, expires, idle, deadline)`` or None."""
        st = self._session
        return self.db.run(lambda c: c.execute(st.sql, st.args((sid,))).fetchone())

    def value(self, sid: str, key: str) -> tuple[Any, ...] | None:
        """``(owner, expires, idle, deadline, kind, data)`` (kind None if the key is not
        set), or None if there is no such session row: one statement for the hot path."""
        db, st = self.db, self._value
        conn = db.acquire()
        try:
            row = conn.execute(st.sql, st.args((sid, key))).fetchone()
        except db.errors as e:
            db.discard(conn)
            raise db.failure(e) from None
        db.release(conn)
        return row

    def keys(self, sid: str) -> list[str]:
        st = self._keys
        return self.db.run(lambda c: [r[0] for r in c.execute(st.sql, st.args((sid,)))])

    def values(self, sid: str) -> list[tuple[str, str, bytes]]:
        st = self._values
        return self.db.run(lambda c: [tuple(r) for r in c.execute(st.sql, st.args((sid,)))])

    def tombstone(self, sid: str, now: int = 0) -> str | None:
        """The reason the session ended, if this store still remembers at ``now`` that it
        ended (a tombstone lasts ``tombstone_ttl``, swept or not)."""
        st = self._tombstoned
        row = self.db.run(lambda c: c.execute(st.sql, st.args((sid, now))).fetchone())
        return None if row is None else row[0]

    def count_expired(self, now: int) -> int:
        st = self._count_expired
        return int(self.db.run(lambda c: c.execute(st.sql, st.args((now,))).fetchone()[0]))

    def listing(self, limit: int) -> list[tuple[Any, ...]]:
        """``(id, owner, created, last_access, expires, key count)``, most recent first."""
        st = self._list
        return self.db.run(lambda c: [tuple(r) for r in c.execute(st.sql, st.args((limit,)))])

    # -- writes ----------------------------------------------------------------------------

    def touch(self, sid: str, now: int, expires: int) -> None:
        """Move expiry forward (never back: a racing touch with a later expiry wins)."""
        st = self._touch
        self.db.run(lambda c: c.execute(st.sql, st.args((sid, now, expires))))

    def put(
        self,
        sid: str,
        key: str,
        kind: str,
        data: bytes,
        touch: tuple[int, int] | None = None,
        replace: bool = True,
    ) -> None:
        """Store one key's value (and touch), or raise SessionExpired if the session row
        is gone by the time the write lands. The touch goes first: a transaction locks the
        session row before its value rows, as DELETE (and its cascade) does, so the two
        never deadlock on PostgreSQL."""
        st = self._put if replace else self._put_new
        args = st.args((sid, key, kind, data))
        db = self.db

        def write(conn: Any) -> None:
            if touch is not None:
                conn.execute(self._touch.sql, self._touch.args((sid, *touch)))
            if conn.execute(st.sql, args).rowcount == 0 and (
                replace  # an upsert writes a row unless the session row is gone
                or conn.execute(self._session.sql, self._session.args((sid,))).fetchone() is None
            ):
                raise SessionExpired("the session ended while this value was written")

        def run(conn: Any) -> None:
            try:
                if touch is None:
                    write(conn)
                else:
                    db.transaction(conn, write)
            except db.integrity_error:
                raise SessionExpired("the session ended while this value was written") from None

        db.run(run)

    def put_quietly(
        self, sid: str, key: str, kind: str, data: bytes, now: float, principal: str | None
    ) -> bool:
        """Store one key's value in one statement if the session is live for ``principal``
        and its expiry needs no touch (the common SINK); False if not, and nothing was
        written: then the caller reads the row and goes the long way (:meth:`put`)."""
        st, db = self._put_live, self.db
        args = st.args((sid, key, kind, data, now, math.ceil(now), principal))

        def write(conn: Any) -> bool:
            try:
                return bool(conn.execute(st.sql, args).rowcount == 1)
            except db.integrity_error:  # the session went as we wrote: the long way says how
                return False

        return bool(db.run(write))

    def delete_key(self, sid: str, key: str, touch: tuple[int, int] | None = None) -> bool:
        st, db = self._del_key, self.db

        def write(conn: Any) -> bool:  # session row first, as in put()
            if touch is not None:
                conn.execute(self._touch.sql, self._touch.args((sid, *touch)))
            if conn.execute(st.sql, st.args((sid, key))).rowcount > 0:
                return True
            # nothing deleted: the key was not set, or the session row has gone (ended,
            # or rotated to a new id while this ran): say which, as put() does
            if conn.execute(self._session.sql, self._session.args((sid,))).fetchone() is None:
                raise SessionExpired("the session ended while this key was deleted")
            return False

        if touch is None:
            return bool(db.run(write))
        return bool(db.run(lambda c: db.transaction(c, write)))

    def create(
        self,
        sid: str,
        owner: str | None,
        now: int,
        expires: int,
        idle: int,
        deadline: int | None,
        max_sessions: int | None = None,
        max_per_user: int | None = None,
        evict: bool = False,
        tombstone_ttl: int = 0,
    ) -> list[str]:
        """Insert a session, holding the limits; returns the ids evicted to make room:
        only those whose row this transaction removed, so each end is reported once."""
        row = self._insert.args((sid, owner, now, expires, idle, deadline))
        per_user = max_per_user if owner is not None else None
        db = self.db
        if max_sessions is None and per_user is None:
            db.run(lambda c: c.execute(self._insert.sql, row))
            return []

        def create(conn: Any) -> list[str]:
            evicted = self._hold_limits(
                conn, owner, now, per_user, max_sessions, evict, tombstone_ttl
            )
            conn.execute(self._insert.sql, row)
            return evicted

        return db.run(lambda c: db.transaction(c, create))

    def _hold_limits(
        self,
        conn: Any,
        owner: str | None,
        now: int,
        per_user: int | None,
        max_sessions: int | None,
        evict: bool,
        tombstone_ttl: int,
    ) -> list[str]:
        """Make room for one more live session (of ``owner``, for ``per_user``) inside the
        transaction ``conn``: TooManySessions, or evict the least recently used; returns
        the ids this transaction ended."""
        if self.db.dialect == "postgresql":
            if per_user is not None:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_user_lock(owner),))
            if max_sessions is not None:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_GLOBAL_LOCK,))
        evicted: list[str] = []
        for limit, count, lru, args, what in (
            (per_user, self._count_user, self._lru_user, (owner, now), "for this user"),
            (max_sessions, self._count_all, self._lru_all, (now,), "in this store"),
        ):
            if limit is None:
                continue
            n = conn.execute(count.sql, count.args(args)).fetchone()[0]
            if n < limit:
                continue
            if not evict:
                raise TooManySessions(
                    f"{n} live sessions {what} reach the limit of {limit}; end one, "
                    "or set session.on_limit = 'evict'"
                )
            victims = [r[0] for r in conn.execute(lru.sql, lru.args((*args, n - limit + 1)))]
            # a victim a concurrent DELETE removed first was ended (and reported) there
            evicted += [
                victim
                for victim in victims
                if self._end_in(conn, victim, now, "evicted", tombstone_ttl) is not None
            ]
        return evicted

    def rotate(
        self,
        sid: str,
        new_sid: str,
        owner: str | None,
        now: int,
        expires: int,
        max_per_user: int | None = None,
        evict: bool = False,
        tombstone_ttl: int = 0,
    ) -> list[str]:
        """Give a live session the id ``new_sid`` (and ``owner``) in one transaction. Its
        values hang on the row key, so they stay with it; the old id gets a tombstone. A
        write racing the rotation lands before it (and moves with the session) or finds
        the old id ended: nothing is lost in between. ``max_per_user`` is held for a new
        owner. Returns the ids evicted to make room; SessionExpired if the session had
        already ended."""
        db = self.db
        st = self._rotate

        def rotate(conn: Any) -> list[str]:
            evicted = self._hold_limits(conn, owner, now, max_per_user, None, evict, tombstone_ttl)
            if conn.execute(st.sql, st.args((sid, now, new_sid, owner, expires))).rowcount == 0:
                raise SessionExpired("the session ended before it could be given a new id")
            stone = (sid, now, "deleted", now + tombstone_ttl)
            conn.execute(self._tombstone.sql, self._tombstone.args(stone))
            return evicted

        return db.run(lambda c: db.transaction(c, rotate))

    def _end_in(self, conn: Any, sid: str, now: int, reason: str, ttl: int) -> int | None:
        row = conn.execute(self._end.sql, self._end.args((sid,))).fetchone()
        if row is None:
            return None
        conn.execute(self._tombstone.sql, self._tombstone.args((sid, now, reason, now + ttl)))
        return int(row[0])

    def end(self, sid: str, now: int, reason: str, tombstone_ttl: int) -> str | None:
        """End a session (its values go with it). Returns the reason recorded, ``expired``
        if it had already expired, or None if there was no such session row."""
        db = self.db

        def end(conn: Any) -> str | None:
            row = conn.execute(self._end.sql, self._end.args((sid,))).fetchone()
            if row is None:
                return None
            expires = int(row[0])
            why, ended = (reason, now) if expires > now else ("expired", expires)
            if ended + tombstone_ttl > now:  # as the sweep: an expired one ended at expiry
                args = (sid, ended, why, ended + tombstone_ttl)
                conn.execute(self._tombstone.sql, self._tombstone.args(args))
            return why

        return db.run(lambda c: db.transaction(c, end))

    def sweep(self, now: int, batch: int, tombstone_ttl: int) -> tuple[list[str], int]:
        """End up to ``batch`` expired sessions and purge up to ``batch`` old tombstones in
        one short transaction; returns the ids ended and how many tombstones went."""
        db = self.db

        def sweep(conn: Any) -> tuple[list[str], int]:
            ended = conn.execute(self._sweep.sql, self._sweep.args((now, batch))).fetchall()
            # an expired session ended when it expired: its tombstone lasts from then
            st = self._tombstone
            stones = [
                st.args((sid, expires, "expired", expires + tombstone_ttl))
                for sid, expires in ended
                if expires + tombstone_ttl > now
            ]
            if stones:
                conn.cursor().executemany(st.sql, stones)
            purged = conn.execute(self._purge.sql, self._purge.args((now, batch))).rowcount
            return [sid for sid, _ in ended], purged

        return db.run(lambda c: db.transaction(c, sweep))


def _user_lock(owner: str | None) -> int:
    """A stable signed 64-bit advisory lock key for one user."""
    digest = hashlib.blake2b(str(owner).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
