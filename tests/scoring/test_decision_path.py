"""The one decision pipeline: what a decision costs the database, and batch decisions in the audit chain."""

from __future__ import annotations

import json
import re
import threading

import pytest
from sqlalchemy import event, text
from tests.audit.test_audit import tampering
from tests.factories import bearer, make_tenant, make_user, wait_for_job
from tests.scoring.test_applications import NO_PULL
from tests.scoring.test_batches import make_csv

#: The most SQL statements one stored decision may issue once the tenant's caches are warm: the
#: writer's transaction (BEGIN on SQLite; the RLS setting and a chain lock on PostgreSQL), the
#: application, outbox and audit inserts, one read of the audit chain's head, and COMMIT. The request
#: itself reads nothing (tenant, API key, policy and models are cached). Raise this only with a reason.
MAX_STATEMENTS_PER_DECISION = 8


@pytest.fixture
def lender_key(client, session, champion):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/api-keys", json={"name": "LOS", "role": "field_officer"}, headers=bearer(admin)
    )
    assert r.status_code == 201, r.text
    return tenant, admin, {"X-API-Key": r.json()["key"]}


#: Threads that poll the database on their own schedule, not on behalf of the request under test.
BACKGROUND_THREADS = ("outbox-relay", "monitoring-scheduler")


class StatementLog:
    """Every statement the engine sends for requests while attached (executemany counts once)."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        name = threading.current_thread().name
        if name not in BACKGROUND_THREADS and "Worker" not in name:  # Dramatiq's job threads
            self.statements.append(" ".join(statement.split()))


def _tables(statements: list[str], verb: str) -> set[str]:
    pattern = {"SELECT": r"\bFROM (\w+)", "INSERT": r"^INSERT INTO (\w+)"}[verb]
    return {m for s in statements if s.upper().startswith(verb) for m in re.findall(pattern, s)}


def test_a_decision_issues_a_bounded_number_of_statements_and_reads_nothing_it_has_cached(client, db, lender_key):
    tenant, _, key = lender_key
    url = f"/api/v1/tenants/{tenant.slug}/applications"
    assert client.post(url, json=NO_PULL, headers=key).status_code == 201  # warms the caches
    with StatementLog(db.engine) as log:
        r = client.post(url, json={**NO_PULL, "external_ref": "GUARD-1"}, headers=key)
    assert r.status_code == 201, r.text
    assert len(log.statements) <= MAX_STATEMENTS_PER_DECISION, "\n".join(log.statements)
    assert _tables(log.statements, "INSERT") == {"application", "outbox_event", "audit_event"}
    # only the chain heads, under their locks (PostgreSQL locks them with one SELECT over unnest(keys))
    assert _tables(log.statements, "SELECT") - {"unnest"} <= {"audit_event"}


def test_a_stateless_score_touches_no_table(client, db, lender_key):
    tenant, _, key = lender_key
    url = f"/api/v1/tenants/{tenant.slug}/score"
    assert client.post(url, json=NO_PULL, headers=key).status_code == 200
    with StatementLog(db.engine) as log:
        assert client.post(url, json=NO_PULL, headers=key).status_code == 200
    assert log.statements == []


def test_batch_decisions_are_audited_and_tampering_is_detected(client, db, lender_key):
    tenant, admin, _ = lender_key
    headers = bearer(admin)
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/batches", files={"file": ("b.csv", make_csv(40), "text/csv")}, headers=headers
    )
    assert r.status_code == 202, r.text
    batch = r.json()
    wait_for_job(
        client,
        tenant.slug,
        client.get(f"/api/v1/tenants/{tenant.slug}/batches/{batch['batch_id']}", headers=headers).json()["job_id"],
        headers,
    )
    apps = client.get(f"/api/v1/tenants/{tenant.slug}/applications?limit=100", headers=headers).json()
    assert apps["total"] == 40
    events = client.get(
        f"/api/v1/tenants/{tenant.slug}/audit?action=application.decided&limit=100", headers=headers
    ).json()["items"]
    assert {e["resource_id"] for e in events} == {a["application_id"] for a in apps["items"]}
    assert {e["details"]["batch_id"] for e in events} == {batch["batch_id"]}
    assert {e["actor_email"] for e in events} == {admin.email}  # recorded as the submitter's decisions
    verify = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=headers).json()
    assert verify["ok"] is True and verify["events"] >= 41  # 40 decisions + the batch's completion

    with db.session() as s:  # an event in the middle of its chain (deleting a chain's last event leaves no gap)
        rows = s.execute(text("SELECT id, chain, seq FROM audit_event WHERE action = 'application.decided'")).all()
    last = {}
    for r in rows:
        last[r.chain] = max(last.get(r.chain, 0), r.seq)
    middle = [r.id for r in rows if r.seq < last[r.chain]]
    edited, deleted = middle[0], middle[-1]
    with tampering(db, "update") as conn:
        original = conn.execute(text("SELECT details FROM audit_event WHERE id = :id"), {"id": edited}).scalar_one()
        conn.execute(text("UPDATE audit_event SET details = :d WHERE id = :id"), {"d": "{}", "id": edited})
    broken = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=headers).json()
    assert broken["ok"] is False and broken["broken_event_id"] == edited
    restore = tampering(db, "update") if db.is_postgres else db.engine.begin()  # SQLite's trigger is gone now
    with restore as conn:
        value = original if isinstance(original, str) else json.dumps(original)
        conn.execute(text("UPDATE audit_event SET details = :d WHERE id = :id"), {"d": value, "id": edited})
    assert client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=headers).json()["ok"] is True
    with tampering(db, "delete") as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": deleted})
    gap = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=headers).json()
    assert gap["ok"] is False and "deleted" in gap["reason"]


def test_batch_and_single_decisions_agree(client, lender_key):
    tenant, admin, key = lender_key
    headers = bearer(admin)
    single = client.post(
        f"/api/v1/tenants/{tenant.slug}/applications", json={**NO_PULL, "external_ref": "ONE"}, headers=key
    ).json()
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/batches",
        files={"file": ("b.json", json.dumps([{**NO_PULL, "external_ref": "BATCH"}]), "application/json")},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    job = client.get(f"/api/v1/tenants/{tenant.slug}/batches/{r.json()['batch_id']}", headers=headers).json()["job_id"]
    wait_for_job(client, tenant.slug, job, headers)
    batch_app = client.get(f"/api/v1/tenants/{tenant.slug}/applications?external_ref=BATCH", headers=headers).json()
    stored = client.get(
        f"/api/v1/tenants/{tenant.slug}/applications/{batch_app['items'][0]['application_id']}", headers=headers
    ).json()
    assert stored["pd"] == pytest.approx(single["pd"], abs=1e-9)
    assert (stored["decision"], stored["shap_explanation"]) == (single["decision"], single["shap_explanation"])
    assert stored["model"] == single["model"] and stored["policy_version"] == single["policy_version"]
