"""Database engine, sessions and the declarative base.

Invariants:
- The request (or job) that opens a session owns its transaction: services flush, never commit.
- On PostgreSQL every transaction carries ``app.tenant_id`` / ``app.all_tenants`` settings that the
  row-level-security policies read (see migrations). They start as "all tenants" (authentication
  must look users up before the tenant is known) and are narrowed by :func:`set_tenant_scope` as
  soon as a route resolves its tenant. Every connection a session begins gets them (one per database).

Data residency (docs/data-residency.md): with region databases configured, a session is a
:class:`RoutedSession` and :meth:`Database.route` is the one place that picks a statement's database —
the catalogue's tables (:data:`CATALOGUE_TABLES`) go to the catalogue; every other table (tenant-owned,
:data:`REGIONAL_TABLES`) to the database of the session's tenant's region, else of the session's
region (a region view, :meth:`Database.for_region`, or :func:`in_region`), else to the catalogue, which
holds the platform's own rows (``tenant_id`` NULL). A platform view of tenants' rows walks every
database explicitly (:meth:`Database.partitions`, :func:`each_partition`). Without region databases
nothing of this runs: plain sessions on one engine.
"""

from __future__ import annotations

import copy
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import orjson
from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, String, create_engine, event, text
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from creditdesk.errors import AppError

T = TypeVar("T")

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


def insert_into(session: Session, model: Any) -> PgInsert | SqliteInsert:
    """The database's own INSERT for ``model`` (PostgreSQL's or SQLite's), which has ``on_conflict_do_nothing``:
    an insert-or-nothing is how a claim (a webhook, a firing, a charge) is made once under concurrency."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model)


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


#: Data residency: the tables the catalogue database holds — tenants (and the region map, their
#: ``data_region``), and what authenticates a request before its tenant is known (users, API keys,
#: refresh tokens, sign-in throttling); plus the model registry, whose platform champions every region
#: scores with (a model holds trees and coefficients, no borrower's data). Every other table is
#: tenant-owned and lives in its tenant's region database (:data:`REGIONAL_TABLES`, which a test keeps
#: complete together with this set: a new table must be placed in one of them).
CATALOGUE_TABLES = frozenset({"tenant", "user_account", "api_key", "refresh_token", "login_attempt", "credit_model"})

#: The tenant-owned tables: each tenant's rows live in its region's database (platform rows, tenant_id NULL,
#: in the catalogue's copy of the table).
REGIONAL_TABLES = frozenset(
    {
        "audit_event", "application", "batch", "batch_row", "bureau_config", "bureau_merge_rule", "customer",
        "dashboard_embed", "dataset_file", "gateway_payment", "idempotency_record", "job", "lending_saga",
        "lending_saga_step", "monitoring_alert", "monitoring_settings", "outbox_event", "payment_gateway_config",
        "policy", "processed_event", "webhook_endpoint", "webhook_delivery", "loan", "collateral", "guarantor",
        "instalment", "payment", "payment_link", "mandate", "mandate_debit", "charge", "loan_day_end",
        "schedule_firing", "contact_policy", "consent_event", "message_template", "channel_provider", "message",
        "message_status", "inbound_message", "contact_preference", "borrower_otp", "borrower_refresh_token",
    }
)  # fmt: skip


def _table_name(mapper: Any, clause: Any) -> str | None:
    """The table a statement is about: its mapper's, a DML statement's, or a select's first FROM."""
    if mapper is not None:
        table = getattr(mapper, "local_table", None)
        if table is None:
            table = getattr(mapper, "__table__", None)
        return getattr(table, "name", None)
    if clause is not None:
        table = getattr(clause, "table", None)
        if table is None and hasattr(clause, "get_final_froms"):
            froms = clause.get_final_froms()
            table = froms[0] if froms else None
        return getattr(table, "name", None)
    return None


class RoutedSession(Session):
    """A session over the catalogue and the region databases; :meth:`Database.route` picks each statement's."""

    def get_bind(self, mapper: Any = None, *, clause: Any = None, bind: Any = None, **kw: Any) -> Engine:
        if bind is not None:
            return bind  # type: ignore[no-any-return]
        db: Database = self.info["db"]
        return db.route(self, mapper, clause)


class Database:
    """An engine and its session factory — with region databases, the catalogue's and each region's engine."""

    def __init__(self, url: str, regions: Mapping[str, str] | None = None):
        self.url = url
        self.engine = make_engine(url)
        #: the catalogue's engine (the same as ``engine`` but in a region view)
        self.catalogue_engine = self.engine
        #: region → database URL (empty: one database serves every region)
        self.regions: dict[str, str] = dict(regions or {})
        #: the region a view of this database is pinned to (None: the catalogue)
        self.region: str | None = None
        by_url = {url: self.engine}
        self.engines: dict[str, Engine] = {}
        for name, region_url in self.regions.items():
            if region_url not in by_url:
                by_url[region_url] = make_engine(region_url)
            self.engines[name] = by_url[region_url]
        self.sessions: sessionmaker[Session]
        self.read_sessions: sessionmaker[Session]
        if self.regions:
            self.sessions = sessionmaker(class_=RoutedSession, expire_on_commit=False, autoflush=True)
            self.read_sessions = self.sessions  # region databases are PostgreSQL: no read-only engine option
        else:
            self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
            self.read_sessions = sessionmaker(
                self.engine.execution_options(creditdesk_read_only=True), expire_on_commit=False, autoflush=True
            )
        self.is_postgres = self.engine.dialect.name == "postgresql"
        #: Called by :meth:`dispose` first (e.g. to flush and stop this database's group-commit writers).
        self.on_dispose: list[Callable[[], None]] = []
        self._tenant_regions: dict[str, str] = {}  # tenant id → region (a tenant's region never changes)
        self._views: dict[str, Database] = {}
        self._root: Database | None = None  # a region view's database

    def session(self, *, read_only: bool = False) -> Session:
        """Open a session whose first transaction sees all tenants (narrow it with set_tenant_scope).

        ``read_only`` sessions (safe HTTP methods) never take SQLite's write lock; they must not write.
        """
        session = (self.read_sessions if read_only else self.sessions)()
        session.info["db"] = self
        session.info["read_only"] = read_only
        if self.region is not None:
            session.info["region"] = self.region
        if self.is_postgres:
            event.listen(session, "after_begin", _apply_scope_on_begin)
        if self.regions:
            event.listen(session, "before_flush", _check_residency)
            session.info["scoped_connections"] = []  # each database's connection in this transaction
            event.listen(session, "after_transaction_end", _forget_connections)
        return session

    # -- data residency ---------------------------------------------------------------------------

    def for_region(self, region: str | None) -> Database:
        """This database as a region sees it: sessions whose tenant-owned tables go to ``region``'s database
        (``engine`` is that database's). Without region databases, or for None, the database itself."""
        base = self._base()
        if not base.regions or region is None:
            return base
        view = base._views.get(region)
        if view is None:
            if region not in base.engines:
                raise LookupError(f"data region {region!r} is not configured")
            view = copy.copy(base)  # shares the engines, caches and on_dispose list
            view.region, view._root = region, base
            view.engine = base.engines[region]
            view.is_postgres = view.engine.dialect.name == "postgresql"
            base._views[region] = view
        return view

    def _base(self) -> Database:
        return self._root or self

    def partitions(self) -> list[Database]:
        """Every database holding tenant-owned rows, once each: the catalogue (platform rows), then each
        region database that is not the catalogue's. Without region databases: this database alone."""
        base = self._base()
        found: list[Database] = [base]
        seen = {id(base.catalogue_engine)}
        for name, engine in base.engines.items():
            if id(engine) not in seen:
                seen.add(id(engine))
                found.append(base.for_region(name))
        return found

    def remember_region(self, tenant_id: str, region: str) -> None:
        """Record a tenant's region (the tenant lookup that already read it primes the routing)."""
        self._tenant_regions[tenant_id] = region

    def region_of(self, tenant_id: str) -> str:
        """The tenant's data region (cached; the catalogue is asked once per tenant and process)."""
        region = self._tenant_regions.get(tenant_id)
        if region is None:
            with self.catalogue_engine.connect() as conn:
                region = conn.execute(
                    text("SELECT data_region FROM tenant WHERE id = :id"), {"id": tenant_id}
                ).scalar_one_or_none()
            if region is None:
                raise LookupError(f"tenant {tenant_id} is not in the catalogue")
            self._tenant_regions[tenant_id] = region
        return region

    def session_region(self, session: Session) -> str | None:
        """The region whose database a session's tenant-owned rows go to (None: the catalogue)."""
        if not self.regions:
            return None
        tenant_id = session.info.get("tenant_id")
        if tenant_id:
            return self.region_of(tenant_id)
        region: str | None = session.info.get("region")
        return region

    def route(self, session: Session, mapper: Any, clause: Any) -> Engine:
        """The engine a statement of ``session`` runs on (see the module's docstring)."""
        if _table_name(mapper, clause) in CATALOGUE_TABLES:
            return self.catalogue_engine
        region = self.session_region(session)
        if region is None:
            return self.catalogue_engine
        engine = self.engines.get(region)
        if engine is None:
            raise LookupError(f"data region {region!r} is not configured (CREDITDESK_REGION_DATABASES)")
        return engine

    def dispose(self) -> None:
        """Stop what writes through this database, then close every pooled connection."""
        while self.on_dispose:
            self.on_dispose.pop()()
        self.engine.dispose()
        for engine in set(self.engines.values()):
            engine.dispose()


def _check_residency(session: Session, _context: Any, _instances: Any) -> None:
    """Region databases: refuse to flush a tenant's row to a database that is not its region's.

    The routing sends a session's tenant-owned rows where its tenant (or region) says; a row of another
    tenant — written by a session scoped elsewhere, or loaded by a fan-out and changed after — would
    land in the wrong database (or update nothing there), so it fails here, loudly, instead.
    """
    db: Database = session.info["db"]
    platform = not session.info.get("tenant_id") and session.info.get("region") is None
    for obj in (*session.new, *session.dirty):
        table = getattr(obj, "__table__", None)
        tenant_id = getattr(obj, "tenant_id", None)
        if table is None or tenant_id is None or table.name in CATALOGUE_TABLES:
            continue
        if platform and table.name == "audit_event":
            continue  # what happens before a tenant is in scope (sign-ins): audited with the users, in the catalogue
        target = db.route(session, None, None)
        if db.engines[db.region_of(tenant_id)] is not target:
            raise RuntimeError(
                f"data residency: a {table.name} row of tenant {tenant_id} (region {db.region_of(tenant_id)}) "
                "would be written outside its region's database; scope the session to the tenant"
            )


_SET_SCOPE = text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', :a, true)")


def _apply_scope_on_begin(session: Session, _transaction: Any, connection: Any) -> None:
    tenant_id = session.info.get("tenant_id")
    connection.execute(_SET_SCOPE, {"t": tenant_id or "", "a": "off" if tenant_id else "on"})
    connections: list[Any] | None = session.info.get("scoped_connections")
    if connections is not None:  # region databases: set_tenant_scope narrows every one of them
        connections.append(connection)


def _forget_connections(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the session's transaction (not a savepoint) ended
        session.info["scoped_connections"] = []


def set_tenant_scope(session: Session, tenant_id: str | None) -> None:
    """Narrow this session to one tenant (None: all tenants) — the row-level-security second wall.

    With region databases the session may have begun a transaction in several databases (the catalogue
    and a region): each of them is narrowed."""
    session.info["tenant_id"] = tenant_id
    db: Database | None = session.info.get("db")
    if db is not None and db.is_postgres and session.in_transaction():
        params = {"t": tenant_id or "", "a": "off" if tenant_id else "on"}
        if db.regions:
            for connection in session.info.get("scoped_connections", ()):
                connection.execute(_SET_SCOPE, params)
        else:
            session.execute(_SET_SCOPE, params)


_database: Database | None = None
_region: ContextVar[str | None] = ContextVar("creditdesk_region", default=None)


def init_database(url: str, regions: Mapping[str, str] | None = None) -> Database:
    """Create the process-wide database (called by create_app and the CLI); ``regions``: region → URL."""
    global _database
    wanted = dict(regions or {})
    if _database is not None and (_database.url != url or _database.regions != wanted):
        _database.dispose()
        _database = None
    if _database is None:
        _database = Database(url, wanted)
    return _database


def get_database() -> Database:
    """Return the process-wide database — inside :func:`in_region` (a tenant's request or job, with region
    databases configured), the view of that region."""
    if _database is None:
        raise RuntimeError("database not initialised")
    if _database.regions:
        region = _region.get()
        if region is not None:
            return _database.for_region(region)
    return _database


def enter_region(region: str | None) -> None:
    """From here on in this context (a request's task), :func:`get_database` is ``region``'s view."""
    _region.set(region)


@contextmanager
def in_region(region: str | None) -> Iterator[None]:
    """Within the block, :func:`get_database` is ``region``'s view (None: the catalogue)."""
    token = _region.set(region)
    try:
        yield
    finally:
        _region.reset(token)


def fan_out(session: Session, query: Callable[[Session], list[T]]) -> list[T]:
    """The explicit fan-out of a platform view: ``query`` run once per database holding tenant-owned rows
    (the catalogue, then each region's; see :meth:`Database.partitions`), its results concatenated.

    Runs in ``session`` (no tenant in scope), pointing its tenant-owned tables at each database in turn;
    without region databases, ``query(session)`` once.
    """
    db: Database = session.info["db"]
    if not db.regions:
        return query(session)
    assert not session.info.get("tenant_id"), "a platform view fans out with no tenant in scope"
    saved = session.info.get("region")
    found: list[T] = []
    try:
        for part in db.partitions():
            session.info["region"] = part.region
            found.extend(query(session))
    finally:
        session.info["region"] = saved
    return found


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
