"""The audit trail's filters, decision sub-chains and every kind of broken link, through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from tests.audit.test_audit import tampering
from tests.factories import bearer, make_tenant, make_user

from creditdesk.audit import service as audit


def _page(client, tenant, headers, **params) -> dict:
    r = client.get(f"/api/v1/tenants/{tenant.slug}/audit", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_every_filter_narrows_the_trail(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    ops = audit.SystemActor(actor_type="user", id="u-1", email="Ops@Lender.example", request_id="req-1", ip="10.0.0.1")
    audit.record(
        session, actor=ops, action="loan.disbursed", tenant_id=tenant.id, resource_type="loan", resource_id="L-1"
    )
    audit.record(
        session,
        actor=ops,
        action="loan.loss_marked",
        tenant_id=tenant.id,
        resource_type="loan",
        resource_id="L-2",
        outcome="denied",
        details={"marked_on": datetime(2025, 9, 1, tzinfo=UTC)},  # not JSON: stored as its string
    )
    audit.record(session, actor=audit.SYSTEM, action="policy.updated", tenant_id=tenant.id, resource_type="policy")
    session.commit()
    headers = bearer(admin)

    everything = _page(client, tenant, headers)
    assert everything["total"] == 3
    assert [e["action"] for e in everything["items"]] == ["policy.updated", "loan.loss_marked", "loan.disbursed"]
    denied = everything["items"][1]
    assert denied["details"] == {"marked_on": "2025-09-01 00:00:00+00:00"}
    assert (denied["actor_id"], denied["request_id"], denied["ip"]) == ("u-1", "req-1", "10.0.0.1")

    def actions(**params) -> list[str]:
        return sorted(e["action"] for e in _page(client, tenant, headers, **params)["items"])

    assert actions(actor="ops@lender.EXAMPLE") == ["loan.disbursed", "loan.loss_marked"]  # e-mail, any case
    assert actions(resource_type="policy") == ["policy.updated"]
    assert actions(resource_type="loan", resource_id="L-2") == ["loan.loss_marked"]
    assert actions(outcome="denied") == ["loan.loss_marked"]
    assert actions(action="loan.") == ["loan.disbursed", "loan.loss_marked"]  # a prefix

    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert len(actions(created_from=hour_ago, created_to=in_an_hour)) == 3
    assert actions(created_from=in_an_hour) == []
    assert actions(created_to=hour_ago) == []
    unknown = client.get(f"/api/v1/tenants/{tenant.slug}/audit", params={"outcome": "maybe"}, headers=headers)
    assert unknown.status_code == 422


def test_decisions_spread_over_sub_chains_and_verify_covers_them_all(client, session, db):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    assert audit.append_many(session, []) == 0
    events = [
        audit.PendingEvent(
            actor=audit.SYSTEM,
            action="application.decided",
            tenant_id=tenant.id,
            resource_type="application",
            resource_id=f"app-{i}",
            shard_key=f"app-{i}",
            details={"decision": "Approve"},
        )
        for i in range(12)
    ]
    assert audit.append_many(session, events) == 12
    audit.record(session, actor=audit.SYSTEM, action="user.created", tenant_id=tenant.id)
    session.commit()
    chains = {audit.chain_of(tenant.id, e.shard_key) for e in events}
    assert len(chains) > 1 and all(c.startswith(f"{tenant.id}/") for c in chains)

    ok = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert ok == {
        "ok": True,
        "events": 13,
        "chains": len(chains) + 1,  # the sub-chains and the tenant's own chain
        "broken_event_id": None,
        "broken_seq": None,
        "broken_action": None,
        "broken_chain": None,
        "reason": None,
    }
    # a second bulk append continues each sub-chain from its head
    assert audit.append_many(session, events[:2]) == 2
    session.commit()
    again = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert again["ok"] is True and again["events"] == 15

    # editing a decision in one sub-chain is named with that sub-chain
    target = _page(client, tenant, bearer(admin), resource_id="app-5")["items"][0]
    with tampering(db, "update") as conn:
        conn.execute(
            text("UPDATE audit_event SET details = :d WHERE id = :id"),
            {"d": '{"decision": "Reject"}', "id": target["id"]},
        )
    broken = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert broken["ok"] is False and broken["broken_event_id"] == target["id"]
    assert broken["broken_chain"] == audit.chain_of(tenant.id, "app-5") and "modified" in broken["reason"]


def test_a_rewritten_link_is_named_as_such(client, session, db):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    for i in range(3):
        audit.record(session, actor=audit.SYSTEM, action=f"test.{i}", tenant_id=tenant.id)
    session.commit()
    second = _page(client, tenant, bearer(admin), action="test.1")["items"][0]
    with tampering(db, "update") as conn:
        conn.execute(text("UPDATE audit_event SET prev_hash = :h WHERE id = :id"), {"h": "f" * 64, "id": second["id"]})
    broken = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert broken["ok"] is False
    assert (broken["broken_seq"], broken["broken_action"], broken["events"]) == (2, "test.1", 1)
    assert "previous-hash link" in broken["reason"]


def test_the_platform_chain_is_separate_and_verified_alone(client, session):
    root = make_user(session, None, "platform_admin")
    tenant = make_tenant(session)
    audit.record(session, actor=audit.SYSTEM, action="platform.maintenance", tenant_id=None)
    audit.record(session, actor=audit.SYSTEM, action="tenant.thing", tenant_id=tenant.id)
    session.commit()
    page = client.get("/api/v1/audit", params={"action": "platform."}, headers=bearer(root)).json()
    assert [e["action"] for e in page["items"]] == ["platform.maintenance"] and page["items"][0]["tenant_id"] is None
    verified = client.get("/api/v1/audit/verify", headers=bearer(root)).json()
    assert verified["ok"] is True and verified["chains"] == 1 and verified["events"] >= 1


def test_a_state_changing_request_without_its_own_event_still_leaves_one(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    csv = b"external_ref,name,monthly_income\nP-1,Asha,65000\n"
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/batches/preview",
        files={"file": ("applications.csv", csv, "text/csv")},
        headers=bearer(admin),
    )
    assert r.status_code == 200, r.text
    # an anonymous state-changing request adds no catch-all (signing out with a dead token records nothing)
    assert client.post("/api/v1/auth/logout", json={"refresh_token": "not-a-token"}).status_code == 204
    page = _page(client, tenant, bearer(admin))
    catch_all = [e for e in page["items"] if e["action"].startswith("http.")]
    assert [(e["action"], e["actor_id"]) for e in catch_all] == [("http.post", admin.id)]
    details = catch_all[0]["details"]
    assert details["route"].endswith("/tenants/{tenant}/batches/preview")  # the route's template, not the slug
    assert details["path"] == f"/api/v1/tenants/{tenant.slug}/batches/preview"
    # reads leave nothing
    assert _page(client, tenant, bearer(admin))["total"] == page["total"]
