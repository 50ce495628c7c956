"""Database engine, sessions and the declarative base.

Invariants:
- The request (or job) that opens a session owns its transaction: services flush, never commit.
- On PostgreSQL every transaction carries ``app.tenant_id`` / ``app.all_tenants`` settings that the
  row-level-security policies read (see migrations). They start as "all tenants" (authentication
  must look users up before the tenant is known) and are narrowed by :func:`set_tenant_scope` as
  soon as a route resolves its tenant.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, String, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from creditdesk.errors import AppError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


_entropy = threading.local()
_ENTROPY_CHUNK = 16 * 256


def random_bytes16() -> bytes:
    """16 bytes from the OS CSPRNG, read 4 KiB at a time per thread (one getrandom call per 256 ids)."""
    buf: bytes | None = getattr(_entropy, "buf", None)
    pos: int = getattr(_entropy, "pos", _ENTROPY_CHUNK)
    if buf is None or pos >= _ENTROPY_CHUNK:
        buf, pos = os.urandom(_ENTROPY_CHUNK), 0
        _entropy.buf = buf
    _entropy.pos = pos + 16
    return buf[pos : pos + 16]


def new_id() -> str:
    """Return a new opaque identifier (a random UUID, version 4)."""
    return str(uuid.UUID(bytes=random_bytes16(), version=4))


def new_hex_id() -> str:
    """Return 32 random hex digits (request and trace ids)."""
    return random_bytes16().hex()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite returns naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


class IdMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


class CreatedMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """Return True for a SQLite engine or URL."""
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and serialised writes.

    JSON columns are written and read with orjson (several JSON columns per decision).
    """
    json_args: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **json_args)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the write lock up front (IMMEDIATE) so read-then-write transactions never
            # fail with SQLITE_BUSY_SNAPSHOT under concurrency (the audit chain reads then writes).
            # Read-only sessions begin DEFERRED: in WAL mode they read a snapshot without any lock.
            read_only = conn.get_execution_options().get("creditdesk_read_only")
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True, **json_args)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(creditdesk_read_only=True), expire_on_commit=False, autoflush=True
        )
        self.is_postgres = self.engine.dialect.name == "postgresql"
        #: Called by :meth:`dispose` first (e.g. to flush and stop this database's group-commit writers).
        self.on_dispose: list[Callable[[], None]] = []

    def session(self, *, read_only: bool = False) -> Session:
        """Open a session whose first transaction sees all tenants (narrow it with set_tenant_scope).

        ``read_only`` sessions (safe HTTP methods) never take SQLite's write lock; they must not write.
        """
        session = (self.read_sessions if read_only else self.sessions)()
        session.info["db"] = self
        session.info["read_only"] = read_only
        if self.is_postgres:
            event.listen(session, "after_begin", _apply_scope_on_begin)
        return session

    def dispose(self) -> None:
        """Stop what writes through this database, then close every pooled connection."""
        while self.on_dispose:
            self.on_dispose.pop()()
        self.engine.dispose()


def _apply_scope_on_begin(session: Session, _transaction: Any, connection: Any) -> None:
    tenant_id = session.info.get("tenant_id")
    connection.execute(
        text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', :a, true)"),
        {"t": tenant_id or "", "a": "off" if tenant_id else "on"},
    )


def set_tenant_scope(session: Session, tenant_id: str | None) -> None:
    """Narrow this session to one tenant (None: all tenants) — the row-level-security second wall."""
    session.info["tenant_id"] = tenant_id
    db: Database | None = session.info.get("db")
    if db is not None and db.is_postgres and session.in_transaction():
        session.execute(
            text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', :a, true)"),
            {"t": tenant_id or "", "a": "off" if tenant_id else "on"},
        )


_database: Database | None = None


def init_database(url: str) -> Database:
    """Create the process-wide database (called by create_app and the CLI)."""
    global _database
    if _database is not None and _database.url != url:
        _database.dispose()
    if _database is None or _database.url != url:
        _database = Database(url)
    return _database


def get_database() -> Database:
    """Return the process-wide database."""
    if _database is None:
        raise RuntimeError("database not initialised")
    return _database


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Called with (session, request) after a route returns and before the commit (e.g. the audit catch-all).
before_commit_hooks: list[Callable[[Session, Request], None]] = []


def _finish(session: Session, request: Request, *, commit: bool, hooks: bool) -> None:
    try:
        if hooks:
            for hook in before_commit_hooks:
                hook(session, request)
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield a request-scoped session; commit when the route returns, roll back when it raises.

    The session is created on the event loop (no I/O until the route's first query, which also applies
    the tenant scope) and finished — hooks, commit or rollback, close — in ONE worker-thread hop.
    """
    session = get_database().session(read_only=request.method in SAFE_METHODS)
    try:
        yield session
    except AppError as exc:
        keep = exc.commit_session
        await to_thread.run_sync(lambda: _finish(session, request, commit=keep, hooks=False))
        raise
    except BaseException:
        await to_thread.run_sync(lambda: _finish(session, request, commit=False, hooks=False))
        raise
    else:
        await to_thread.run_sync(lambda: _finish(session, request, commit=True, hooks=True))


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
