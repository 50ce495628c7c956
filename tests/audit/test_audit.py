"""The audit trail: what is recorded, the hash chain, tamper detection, filters."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, text
from tests.factories import PASSWORD, bearer, make_tenant, make_user

from creditdesk.audit import service as audit
from creditdesk.audit.service import _heads


@contextmanager
def tampering(db, verb):
    """Act as an attacker with table-owner rights: bypass the append-only trigger for one change."""
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        else:
            conn.execute(text(f"DROP TRIGGER audit_event_no_{verb}"))
        yield conn
        if db.is_postgres:  # the PostgreSQL test database is reused: restore the trigger
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def _events(client, tenant, headers, **params):
    r = client.get(f"/api/v1/tenants/{tenant.slug}/audit", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_logins_changes_and_requests_are_audited(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin", email="boss@lender.example")
    session.commit()
    client.post("/api/v1/auth/token", json={"email": "boss@lender.example", "password": "Wrong-password-1"})
    client.post("/api/v1/auth/token", json={"email": "boss@lender.example", "password": PASSWORD})
    client.post(
        f"/api/v1/tenants/{tenant.slug}/users",
        headers=bearer(admin),
        json={"email": "o@lender.example", "name": "O", "role": "field_officer", "password": PASSWORD},
    )
    key = client.post(f"/api/v1/tenants/{tenant.slug}/api-keys", json={"name": "los"}, headers=bearer(admin)).json()
    page = _events(client, tenant, bearer(admin))
    actions = [e["action"] for e in page["items"]]
    assert actions == ["api_key.created", "user.created", "auth.login.succeeded", "auth.login.failed"]
    failed = page["items"][-1]
    assert failed["outcome"] == "failure" and failed["details"]["email"] == "boss@lender.example"
    assert PASSWORD not in str(page) and "Wrong-password-1" not in str(page) and key["key"] not in str(page)
    assert page["items"][0]["actor_email"] == "boss@lender.example" and page["items"][0]["request_id"]

    only_auth = _events(client, tenant, bearer(admin), action="auth.login")
    assert only_auth["total"] == 2
    assert _events(client, tenant, bearer(admin), outcome="failure")["total"] == 1
    second = _events(client, tenant, bearer(admin), limit=1, offset=1)
    assert second["total"] == 4 and second["items"][0]["action"] == "user.created"


def test_chain_verifies_and_tampering_is_named(client, session, db):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    for i in range(3):
        client.post(
            f"/api/v1/tenants/{tenant.slug}/users",
            headers=bearer(admin),
            json={"email": f"u{i}@lender.example", "name": f"U{i}", "role": "auditor", "password": PASSWORD},
        )
    verify = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert verify["ok"] is True and verify["events"] == 3 and verify["broken_event_id"] is None
    target = _events(client, tenant, bearer(admin))["items"][1]  # the middle event

    # an attacker with table-owner rights bypasses the append-only trigger and edits one row
    with tampering(db, "update") as conn:
        conn.execute(
            text("UPDATE audit_event SET details = :d WHERE id = :id"),
            {"d": '{"email": "someone-else@lender.example", "role": "tenant_admin"}', "id": target["id"]},
        )
    broken = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert broken["ok"] is False
    assert broken["broken_event_id"] == target["id"] and broken["broken_seq"] == target["seq"]
    assert "modified" in broken["reason"]


def test_audit_rows_are_append_only(session, db):
    tenant = make_tenant(session)
    audit.record(session, actor=audit.SYSTEM, action="test.event", tenant_id=tenant.id)
    session.commit()
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))
        conn.execute(text("UPDATE audit_event SET action = 'x'"))
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))
        conn.execute(text("DELETE FROM audit_event"))


def test_deleting_an_event_is_detected(client, session, db):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    for i in range(3):
        audit.record(session, actor=audit.SYSTEM, action=f"test.{i}", tenant_id=tenant.id)
    session.commit()
    with tampering(db, "delete") as conn:
        conn.execute(text("DELETE FROM audit_event WHERE action = 'test.1'"))
    broken = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert broken["ok"] is False and broken["broken_seq"] == 3 and "gap" in broken["reason"]


def test_platform_chain_and_permissions(client, session):
    root = make_user(session, None, "platform_admin")
    tenant = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    auditor = make_user(session, tenant, "auditor")
    session.commit()
    client.post(
        "/api/v1/tenants",
        headers=bearer(root),
        json={
            "slug": "new-lender",
            "name": "N",
            "admin": {"email": "n@new.example", "name": "N", "password": PASSWORD},
        },
    )
    events = client.get("/api/v1/audit", headers=bearer(root)).json()["items"]
    assert [e["action"] for e in events] == ["tenant.created"]
    assert client.get("/api/v1/audit/verify", headers=bearer(root)).json()["ok"] is True
    assert client.get(f"/api/v1/tenants/{tenant.slug}/audit", headers=bearer(officer)).status_code == 403
    assert client.get(f"/api/v1/tenants/{tenant.slug}/audit", headers=bearer(auditor)).status_code == 200
    assert client.get("/api/v1/audit", headers=bearer(auditor)).status_code == 403


def test_a_chain_head_is_found_through_the_index_not_by_reading_the_chain(db):
    """Appending must cost the same with a million events as with ten (the soak caught a GROUP BY max)."""
    if not db.is_postgres:
        return  # SQLite runs one ORDER BY seq DESC LIMIT 1 per chain on the same unique index
    seen = []
    listener = lambda conn, cur, statement, params, ctx, many: seen.append((statement, params))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with db.session() as s:
            _heads(s, ["t/00", "t/01"])
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    statement, params = next((st, p) for st, p in seen if "audit_event" in st)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # the plan a large table gets, even on an empty one
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params))
    assert "Index Scan Backward" in plan and "Aggregate" not in plan, plan
