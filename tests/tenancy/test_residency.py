"""Data residency by region (#14 item 6, docs/data-residency.md).

Two tenants in two regions, over a real server with two region databases and a catalogue on one
PostgreSQL server: each tenant's rows exist only in its region's database, none of its business rows
in the catalogue; the cross-tenant walk still answers 404; the platform's listings see both; the worker
runs each region's jobs and the relay publishes each region's events. The default (no region map) is
what the rest of the suite runs on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from alembic import command
from dramatiq import Message
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, inspect, select, text
from tests.factories import PASSWORD, bearer, make_tenant, make_user
from tests.scoring.test_applications import NO_PULL
from tests.servers import serve

from creditdesk.audit import service as audit
from creditdesk.config import ConfigError, Settings, get_settings
from creditdesk.db import CATALOGUE_TABLES, REGIONAL_TABLES, Database, init_database, set_tenant_scope, utcnow
from creditdesk.main import create_app
from creditdesk.migrations import alembic_config, upgrade
from creditdesk.ml import registry
from creditdesk.models_registry import Base
from creditdesk.tasks import TASK_REGISTRY
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.service import anchor_in_region
from creditdesk.worker import service as jobs
from creditdesk.worker.broker import QUEUE, get_broker, resend_stale_jobs, start_worker, stop_worker
from creditdesk.worker.models import Job

WEST, SOUTH = "in-west", "in-south"


def test_every_table_is_placed_in_the_catalogue_or_a_region():
    tables = set(Base.metadata.tables)
    assert not CATALOGUE_TABLES & REGIONAL_TABLES
    assert tables - CATALOGUE_TABLES - REGIONAL_TABLES == set(), "place the new table in db.py's CATALOGUE/REGIONAL"
    for name in REGIONAL_TABLES & tables:  # (a table being built may be placed before it exists)
        assert "tenant_id" in Base.metadata.tables[name].c, f"{name} is regional but has no tenant_id"


def test_region_settings_are_checked(tmp_path):
    def finalise(**kw):
        return Settings(mode="dev", data_dir=tmp_path, **kw).finalise()

    assert finalise().data_regions == ("default",)
    pg = "postgresql+psycopg://u@db/x"
    ok = finalise(database_url=pg, region_databases={WEST: pg + "w", SOUTH: pg + "s"})
    assert ok.data_regions == (WEST, SOUTH)
    with pytest.raises(ConfigError, match="PostgreSQL URL"):
        finalise(database_url=pg, region_databases={WEST: "sqlite:///x.db"})
    with pytest.raises(ConfigError, match="region name"):
        finalise(database_url=pg, region_databases={"West Coast": pg})
    with pytest.raises(ConfigError, match="catalogue"):
        finalise(region_databases={WEST: pg})  # the catalogue defaults to SQLite
    with pytest.raises(ConfigError, match="at most 32 regions"):
        finalise(database_url=pg, region_databases={f"r{i}": pg for i in range(33)})


def test_a_tenant_has_a_data_region_checked_at_creation(client, session):
    root = make_user(session, None, "platform_admin")
    session.commit()
    body = {
        "slug": "north-nbfc",
        "name": "North NBFC",
        "admin": {"email": "admin@north.example", "name": "Admin", "password": PASSWORD},
    }
    bad = client.post("/api/v1/tenants", json={**body, "data_region": "mars"}, headers=bearer(root))
    assert bad.status_code == 422 and "mars" in bad.text, bad.text
    unnamed = client.post("/api/v1/tenants", json={**body, "data_region": "Not A Region"}, headers=bearer(root))
    assert unnamed.status_code == 422
    created = client.post("/api/v1/tenants", json=body, headers=bearer(root))
    assert created.status_code == 201 and created.json()["data_region"] == "default", created.text
    assert client.get("/api/v1/tenants/north-nbfc", headers=bearer(root)).json()["data_region"] == "default"


def test_the_data_region_migration_goes_down_and_up(db_url):
    cfg = alembic_config(db_url)
    engine = create_engine(db_url)
    try:
        command.downgrade(cfg, "0013")
        assert "data_region" not in {c["name"] for c in inspect(engine).get_columns("tenant")}
        upgrade(db_url)
        engine.dispose()  # SQLite caches the table's shape per connection
        assert "data_region" in {c["name"] for c in inspect(engine).get_columns("tenant")}
    finally:
        upgrade(db_url)
        engine.dispose()


# -- two regions over PostgreSQL ---------------------------------------------------------------------


@pytest.fixture
def regional(region_databases, monkeypatch) -> Iterator[tuple[Database, dict[str, str]]]:
    """This process on the catalogue with the two region databases (as ``serve`` would open them)."""
    regions = {WEST: region_databases[WEST], SOUTH: region_databases[SOUTH]}
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", region_databases["catalogue"])
    monkeypatch.setenv("CREDITDESK_REGION_DATABASES", json.dumps(regions))
    get_settings.cache_clear()
    yield init_database(region_databases["catalogue"], regions), region_databases
    get_settings.cache_clear()


def _count(url: str, table: str, tenant_id: str | None = None) -> int:
    """Rows of a table in one database, read as its owner sees them (all tenants)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))
            where = "" if tenant_id is None else " WHERE tenant_id = :t"
            return int(conn.execute(text(f"SELECT count(*) FROM {table}{where}"), {"t": tenant_id}).scalar_one())
    finally:
        engine.dispose()


def _tenant(session, region: str) -> Tenant:
    """A tenant in ``region``, anchored in its region's database as ``create_tenant`` does."""
    tenant = make_tenant(session)
    tenant.data_region = region
    session.flush()
    anchor_in_region(session, tenant)
    return tenant


def test_platform_views_fan_out_and_a_dead_letter_is_requeued_in_its_region(regional):
    db, urls = regional
    with db.session() as s:
        west, south = _tenant(s, WEST), _tenant(s, SOUTH)
        s.commit()
        ids = {}
        for tenant in (west, south):
            set_tenant_scope(s, tenant.id)
            job = jobs.enqueue(s, kind="ops.selftest", tenant_id=tenant.id)
            job.status, job.finished_at = "dead", utcnow()
            s.commit()
            ids[tenant.data_region] = job.id
        set_tenant_scope(s, None)
    assert _count(urls[WEST], "job") == 1 and _count(urls[SOUTH], "job") == 1 and _count(urls["catalogue"], "job") == 0

    with db.session() as s:  # a platform session: no tenant in scope
        page = jobs.list_dead(s, limit=10, offset=0)
        assert page.total == 2 and {j.id for j in page.items} == set(ids.values())
        assert jobs.list_dead(s, limit=1, offset=1).items[0].id in ids.values()
        jobs.requeue(s, job_id=ids[SOUTH], actor=audit.SYSTEM)
        s.commit()
    with db.for_region(SOUTH).session() as s:
        assert s.get(Job, ids[SOUTH]).status == "queued"
    assert _count(urls[SOUTH], "audit_event", south.id) == 1  # the requeue, audited with the job
    assert _count(urls["catalogue"], "audit_event") == 0


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Receiver.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict]]]:
    """A webhook receiver over real HTTP: its URL and the envelopes it received."""
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver.received
    server.shutdown()


LOAN = {
    "customer": {"name": "Asha Verma", "pan": "ABCPV1234K", "monthly_income": 65000},
    "principal": "100000",
    "annual_rate_pct": "12",
    "tenure_months": 12,
    "disbursed_on": "2025-01-10",
}
BUSINESS = ("application", "customer", "loan", "instalment", "payment", "job", "outbox_event", "webhook_endpoint")


def test_two_tenants_in_two_regions_over_a_live_server(
    region_databases, trained_default, receiver, tmp_path: Path
) -> None:
    urls = region_databases
    hook_url, received = receiver
    catalogue = Database(urls["catalogue"])  # the test arranges the platform's rows as an operator would
    with catalogue.session() as s:
        root = make_user(s, None, "platform_admin", email="root@platform.example")
        registry.register(
            s, tenant_id=None, result=trained_default, name="default", dataset=None, target=None, created_by=None,
            status="champion",
        )  # fmt: skip
        s.commit()
    catalogue.dispose()
    regions = json.dumps({WEST: urls[WEST], SOUTH: urls[SOUTH]})
    with serve(database_url=urls["catalogue"], tmp_path=tmp_path, start_timeout=180, region_databases=regions) as base:
        http = httpx.Client(base_url=base + "/api/v1", timeout=60)

        def login(email: str) -> dict[str, str]:
            r = http.post("/auth/token", json={"email": email, "password": PASSWORD})
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        admin = login(root.email)
        tenants: dict[str, dict] = {}
        for slug, region in (("west-nbfc", WEST), ("south-nbfc", SOUTH)):
            body = {
                "slug": slug,
                "name": slug,
                "data_region": region,
                "admin": {"email": f"admin@{slug}.example", "name": "Admin", "password": PASSWORD},
            }
            r = http.post("/tenants", json=body, headers=admin)
            assert r.status_code == 201 and r.json()["data_region"] == region, r.text
            tenants[slug] = {"id": r.json()["id"], "region": region, "headers": login(f"admin@{slug}.example")}

        for slug, t in tenants.items():  # a decision, a webhook, a loan, a payment: each tenant's own rows
            h, path = t["headers"], f"/tenants/{slug}"
            r = http.post(f"{path}/applications", json=NO_PULL, headers=h)
            assert r.status_code in (200, 201), r.text
            t["application"] = r.json()["application_id"]
            r = http.post(f"{path}/webhooks", json={"url": hook_url, "events": ["loan.disbursed"]}, headers=h)
            assert r.status_code == 201, r.text
            r = http.post(f"{path}/portfolio/loans", json={**LOAN, "external_ref": f"LN-{slug}"}, headers=h)
            assert r.status_code == 201, r.text
            t["loan"] = r.json()["id"]
            pay = {"reference": "emi-1", "amount": "8885", "paid_on": "2025-02-10", "channel": "nach"}
            r = http.post(f"{path}/portfolio/loans/{t['loan']}/payments", json=pay, headers=h)
            assert r.status_code == 201, r.text

        # the relay publishes each region's loan.disbursed; the worker delivers each in its region
        deadline = time.monotonic() + 60
        while {e["tenant"] for e in received} != set(tenants) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert {(e["tenant"], e["type"]) for e in received} == {(slug, "loan.disbursed") for slug in tenants}

        # the cross-tenant walk: another tenant's slug, or another region's ids under one's own slug
        west, south = tenants["west-nbfc"], tenants["south-nbfc"]
        for mine, theirs, their_slug in ((west, south, "south-nbfc"), (south, west, "west-nbfc")):
            h = mine["headers"]
            my_slug = next(s for s, t in tenants.items() if t is mine)
            assert http.get(f"/tenants/{their_slug}", headers=h).status_code == 404
            assert http.get(f"/tenants/{their_slug}/portfolio/loans/{theirs['loan']}", headers=h).status_code == 404
            assert http.get(f"/tenants/{my_slug}/portfolio/loans/{theirs['loan']}", headers=h).status_code == 404
            assert http.get(f"/tenants/{my_slug}/applications/{theirs['application']}", headers=h).status_code == 404
            assert http.get(f"/tenants/{my_slug}/portfolio/loans/{mine['loan']}", headers=h).status_code == 200

        # the platform's listing sees both, with their regions
        listed = {t["slug"]: t["data_region"] for t in http.get("/tenants", headers=admin).json()["items"]}
        assert listed == {"west-nbfc": WEST, "south-nbfc": SOUTH}
        for slug, t in tenants.items():  # the platform admin reads each tenant in its region
            assert http.get(f"/tenants/{slug}/portfolio/loans/{t['loan']}", headers=admin).status_code == 200

        jobs_done = deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            jobs_done = [_count(urls[t["region"]], "job", t["id"]) for t in tenants.values()]
            if all(n >= 1 for n in jobs_done):
                break
            time.sleep(0.2)

    for slug, t in tenants.items():
        mine, other = urls[t["region"]], urls[SOUTH if t["region"] == WEST else WEST]
        for table in BUSINESS + ("audit_event",):
            assert _count(mine, table, t["id"]) >= 1, f"{slug}: no {table} rows in its region"
        for table in sorted(REGIONAL_TABLES & set(Base.metadata.tables)):
            assert _count(other, table, t["id"]) == 0, f"{slug}: {table} rows in the other region"
            if table != "audit_event":
                assert _count(urls["catalogue"], table, t["id"]) == 0, f"{slug}: {table} rows in the catalogue"
        engine = create_engine(mine)
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))
            statuses = set(conn.execute(text("SELECT status FROM job WHERE tenant_id = :t"), {"t": t["id"]}).scalars())
            unpublished = conn.execute(text("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")).scalar()
        engine.dispose()
        assert statuses == {"succeeded"}, f"{slug}: jobs {statuses}"
        assert unpublished == 0
    # the catalogue keeps the tenants, their users and the sign-ins (audited with the users they concern)
    assert _count(urls["catalogue"], "tenant") == 2 and _count(urls["catalogue"], "user_account") == 3
    engine = create_engine(urls["catalogue"])
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))
        actions = set(conn.execute(select(text("action")).select_from(text("audit_event"))).scalars())
    engine.dispose()
    assert {a for a in actions if not a.startswith("auth.")} <= {"tenant.created", "http.request"}, actions


def test_a_tenant_request_in_a_region_makes_no_extra_catalogue_query(regional):
    """The tenant → region map comes from the tenant lookup the request makes anyway (cached): the routing
    never asks the catalogue for a tenant's region on the request path, and tenant-owned reads go to the region."""
    db, urls = regional
    with db.session() as s:
        tenant = _tenant(s, SOUTH)
        admin = make_user(s, tenant, "tenant_admin")
        s.commit()
    db._tenant_regions.clear()  # as in a fresh process
    seen: list[tuple[str, str]] = []

    def record(name: str):
        def _on(conn, cursor, statement, *args) -> None:
            seen.append((name, statement))

        return _on

    listeners = [(db.catalogue_engine, record("catalogue")), (db.engines[SOUTH], record(SOUTH))]
    for engine, fn in listeners:
        event.listen(engine, "before_cursor_execute", fn)
    try:
        with TestClient(create_app(get_settings()), raise_server_exceptions=False) as client:
            path = f"/api/v1/tenants/{tenant.slug}/portfolio/loans"
            for _ in range(2):  # cold, then warm
                assert client.get(path, headers=bearer(admin)).status_code == 200
    finally:
        for engine, fn in listeners:
            event.remove(engine, "before_cursor_execute", fn)
    assert not [s for _, s in seen if s.startswith("SELECT data_region FROM tenant")], seen
    assert any(where == SOUTH and "FROM loan" in s for where, s in seen), seen
    assert not [s for where, s in seen if where == "catalogue" and "FROM loan" in s], seen


def test_a_row_cannot_be_flushed_outside_its_region(regional):
    db, urls = regional
    with db.session() as s:
        west, south = _tenant(s, WEST), _tenant(s, SOUTH)
        s.commit()
        set_tenant_scope(s, west.id)
        jobs.enqueue(s, kind="ops.selftest", tenant_id=west.id)  # its own tenant: fine
        with pytest.raises(RuntimeError, match="outside its region"):
            jobs.enqueue(s, kind="ops.selftest", tenant_id=south.id)  # another region's tenant: refused
        s.rollback()
    assert _count(urls[WEST], "job") == _count(urls[SOUTH], "job") == 0


def test_db_upgrade_migrates_every_region_and_repairs_anchors(regional, tmp_path):
    db, urls = regional
    with db.session() as s:
        south = _tenant(s, SOUTH)
        s.commit()
    engine = create_engine(urls[SOUTH])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tenant WHERE id = :id"), {"id": south.id})  # as if its creation half-failed
    engine.dispose()
    command.downgrade(alembic_config(urls[WEST]), "0013")  # a region left behind by a release
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_")}
    env.update(
        CREDITDESK_MODE="dev",
        CREDITDESK_DATA_DIR=str(tmp_path),
        CREDITDESK_DATABASE_URL=urls["catalogue"],
        CREDITDESK_REGION_DATABASES=json.dumps({WEST: urls[WEST], SOUTH: urls[SOUTH]}),
    )
    cmd = [sys.executable, "-m", "creditdesk.cli", "db", "upgrade"]
    r = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    engine = create_engine(urls[WEST])
    assert "data_region" in {c["name"] for c in inspect(engine).get_columns("tenant")}
    engine.dispose()
    assert _count(urls[SOUTH], "tenant") == 1 and _count(urls[WEST], "tenant") == 0


def test_the_worker_recovers_and_runs_each_regions_jobs_where_they_live(regional):
    """Jobs left queued in two regions before the worker starts: its recovery walks every database, each
    message names its region, and each job runs (a retry included) and finishes in its own database."""
    db, urls = regional
    with db.session() as s:
        tenants = [_tenant(s, WEST), _tenant(s, SOUTH)]
        s.commit()
        ids = {}
        for tenant in tenants:
            set_tenant_scope(s, tenant.id)
            job = jobs.enqueue(s, kind="ops.selftest", tenant_id=tenant.id, payload={"fail_times": 1, "steps": 2})
            s.commit()
            ids[tenant.data_region] = job.id
    start_worker(get_settings(), TASK_REGISTRY, recover=True)
    try:
        deadline = time.monotonic() + 60
        done: dict[str, tuple[str, int]] = {}
        while len(done) < 2 and time.monotonic() < deadline:
            for region, job_id in ids.items():
                with db.for_region(region).session() as s:
                    job = s.get(Job, job_id)
                    if job is not None and job.status in ("succeeded", "failed", "dead"):
                        done[region] = (job.status, job.attempts)
            time.sleep(0.1)
    finally:
        stop_worker()
    assert done == {WEST: ("succeeded", 2), SOUTH: ("succeeded", 2)}
    assert _count(urls["catalogue"], "job") == 0


def test_row_level_security_narrows_every_database_a_session_has_begun(regional):
    db, _ = regional
    with db.session() as s:
        tenant = _tenant(s, SOUTH)
        s.commit()

    def scope_in(session, engine) -> tuple[str, str]:
        conn = session.connection(bind_arguments={"bind": engine})
        row = conn.execute(
            text("SELECT current_setting('app.tenant_id', true), current_setting('app.all_tenants', true)")
        )
        return tuple(row.one())

    with db.session() as s:
        assert scope_in(s, db.catalogue_engine) == ("", "on")  # authentication: every tenant, in the catalogue
        set_tenant_scope(s, tenant.id)
        assert scope_in(s, db.catalogue_engine) == (tenant.id, "off")  # narrowed where it had begun
        assert scope_in(s, db.engines[SOUTH]) == (tenant.id, "off")  # and where it begins after
        set_tenant_scope(s, None)
        assert scope_in(s, db.catalogue_engine) == scope_in(s, db.engines[SOUTH]) == ("", "on")
        s.commit()
        assert scope_in(s, db.engines[WEST]) == ("", "on")  # a new transaction


def test_the_resend_sweep_walks_every_region_and_names_it_in_the_message(regional):
    db, urls = regional
    stub = get_broker()
    stub.flush_all()
    stale = utcnow() - timedelta(seconds=120)
    ids = {}
    with db.session() as s:
        tenants = [_tenant(s, WEST), _tenant(s, SOUTH)]
        s.commit()
        for tenant in tenants:
            set_tenant_scope(s, tenant.id)
            job = Job(kind="ops.selftest", tenant_id=tenant.id, created_at=stale, updated_at=stale)
            s.add(job)
            s.commit()
            ids[job.id] = tenant.data_region
    sent = sum(resend_stale_jobs(part, older_than_s=30, backoff_s=60) for part in db.partitions())
    assert sent == 2
    queue = stub.queues[QUEUE]
    messages = [Message.decode(queue.get_nowait()) for _ in range(queue.qsize())]
    assert {tuple(m.args) for m in messages} == {(job_id, region) for job_id, region in ids.items()}
