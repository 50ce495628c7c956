"""Test fixtures: every database test runs once on SQLite and once on PostgreSQL.

PostgreSQL: the suite connects as an administrator (``CREDITDESK_TEST_PG_ADMIN_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), creates an ordinary role
``creditdesk_test`` (not a superuser, so row-level security applies to it) and a fresh database
owned by it, migrates it once, and truncates every table after each test. Without a server those
tests skip — unless ``CREDITDESK_REQUIRE_SERVICES=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="creditdesk-tests-"))
os.environ["CREDITDESK_MODE"] = "dev"
os.environ["CREDITDESK_DATA_DIR"] = str(_TMP / "data")
os.environ.setdefault("CREDITDESK_ARGON2_TIME_COST", "1")
os.environ.setdefault("CREDITDESK_ARGON2_MEMORY_KIB", "8192")
os.environ.setdefault("CREDITDESK_JOB_MIN_BACKOFF_MS", "10")
os.environ.setdefault("CREDITDESK_JOB_MAX_BACKOFF_MS", "50")
os.environ.setdefault("CREDITDESK_OUTBOX_POLL_SECONDS", "0.1")
os.environ.pop("CREDITDESK_DATABASE_URL", None)
os.environ.pop("CREDITDESK_BROKER_URL", None)
os.environ.pop("CREDITDESK_REDIS_URL", None)

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from creditdesk.config import get_settings  # noqa: E402
from creditdesk.db import Database, init_database  # noqa: E402
from creditdesk.migrations import upgrade  # noqa: E402
from creditdesk.models_registry import Base  # noqa: E402

REQUIRE_SERVICES = os.environ.get("CREDITDESK_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("CREDITDESK_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_ROLE = "creditdesk_test"


def service_unavailable(what: str, exc: Exception) -> None:
    """Skip on a laptop without the service; fail in CI."""
    message = f"{what} not reachable: {type(exc).__name__}: {exc}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (CREDITDESK_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template() -> Path:
    path = _TMP / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        service_unavailable("PostgreSQL", exc)
    dbname = f"creditdesk_test_{os.getpid()}"
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": PG_ROLE}).first()
        if not exists:
            conn.execute(text(f"CREATE ROLE {PG_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
        conn.execute(text(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {dbname} OWNER {PG_ROLE}"))
    base = admin.url.set(username=PG_ROLE, password=None, database=dbname)
    url = base.render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database for one test."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "test.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("pg_url")
    yield url
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(db_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def db(settings) -> Database:  # type: ignore[no-untyped-def]
    return init_database(settings.sqlalchemy_url)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session for arranging data; commit what a test needs the API to see."""
    with db.session() as s:
        yield s


@pytest.fixture
def app(settings, db):  # type: ignore[no-untyped-def]
    from creditdesk.main import create_app

    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def trained_default():
    """A default LightGBM model trained once per test session on a small synthetic book."""
    from creditdesk.ml.training import train_default_model

    return train_default_model(seed=3, n=6000, swap_set=False, num_threads=2)


@pytest.fixture
def champion(trained_default, db):
    """Register the session's default model as the platform champion in this test's database."""
    from creditdesk.ml import registry

    with db.session() as s, s.begin():
        model = registry.register(
            s,
            tenant_id=None,
            result=trained_default,
            name="test default",
            dataset="synthetic",
            target="default",
            created_by=None,
            status="champion",
        )
        s.expunge(model)
    return model


@pytest.fixture
def region_databases() -> Iterator[dict[str, str]]:
    """Data residency: three fresh, migrated PostgreSQL databases on the test server, owned by the test role —
    ``{"catalogue": url, "in-west": url, "in-south": url}`` — dropped afterwards."""
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        service_unavailable("PostgreSQL", exc)
    parts = ("catalogue", "in-west", "in-south")
    names = {part: f"creditdesk_{part.replace('-', '_')}_{os.getpid()}" for part in parts}
    urls: dict[str, str] = {}
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": PG_ROLE}).first():
            conn.execute(text(f"CREATE ROLE {PG_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
        for part, dbname in names.items():
            conn.execute(text(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {dbname} OWNER {PG_ROLE}"))
            urls[part] = admin.url.set(username=PG_ROLE, password=None, database=dbname).render_as_string(False)
    for url in urls.values():
        upgrade(url)
    yield urls
    with admin.connect() as conn:
        for dbname in names.values():
            conn.execute(text(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
    admin.dispose()
