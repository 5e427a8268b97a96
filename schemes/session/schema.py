"""The session tables, one row per session and one row per key.

Times are integer epoch seconds. ``expires`` is the moment the session ends unless it is
touched (already capped by ``deadline``, the lifetime limit), and is indexed: checks and
the evictor read it. A session's row key ``seq`` counts up in creation order (on SQLite it
is the rowid) and its public random id sits in a unique index; values are keyed by
``(session_seq, key)``. So sessions that expire around the same time, and their values,
sit on neighbouring pages, and sweeping them touches the big tables in order: only the id
index and the tombstones are touched at random. Values reference their session with
``ON DELETE CASCADE``, so ending a session is one delete, and a value can never outlive
its session (a write racing an end finds no session row, or fails on the foreign key).
The owner index is partial, so creating an anonymous session writes as few pages as it
can. A tombstone remembers an ended id for a while, so ``SessionExpired`` and
``InvalidSessionId`` can be told apart.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Table, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["SCHEMA_VERSION", "Base", "SessionRow", "ValueRow", "Tombstone", "SchemaVersion"]

#: Bumped whenever the tables change; a store records the version it was created with.
#: 2: sessions keyed by a creation-order integer, values by (session_seq, key).
SCHEMA_VERSION = 2

#: BIGINT (BIGSERIAL as a key) on PostgreSQL; on SQLite INTEGER, so the key is the rowid.
RowKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "roc_session"

    seq: Mapped[int] = mapped_column(RowKey, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    owner: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[int] = mapped_column(BigInteger)
    last_access: Mapped[int] = mapped_column(BigInteger)
    expires: Mapped[int] = mapped_column(BigInteger)
    idle: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("roc_session_expires", "expires"),
        Index(
            "roc_session_owner",
            "owner",
            "expires",
            sqlite_where=text("owner IS NOT NULL"),
            postgresql_where=text("owner IS NOT NULL"),
        ),
    )


class ValueRow(Base):
    __tablename__ = "roc_session_value"

    session_seq: Mapped[int] = mapped_column(
        RowKey, ForeignKey("roc_session.seq", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = {"sqlite_with_rowid": False}


class Tombstone(Base):
    __tablename__ = "roc_session_tombstone"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ended: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(16))
    purge_at: Mapped[int] = mapped_column(BigInteger, index=True)

    __table_args__ = {"sqlite_with_rowid": False}


class SchemaVersion(Base):
    __tablename__ = "roc_session_schema"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)


SESSIONS: Table = SessionRow.__table__  # type: ignore[assignment]
VALUES: Table = ValueRow.__table__  # type: ignore[assignment]
TOMBSTONES: Table = Tombstone.__table__  # type: ignore[assignment]
VERSIONS: Table = SchemaVersion.__table__  # type: ignore[assignment]
