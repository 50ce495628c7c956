"""API keys: shown once, hashed, scoped to a tenant and a role."""

from __future__ import annotations

from sqlalchemy import select
from tests.factories import bearer, make_tenant, make_user

from creditdesk.auth.models import ApiKey


def test_api_key_lifecycle(client, session, db):
    tenant = make_tenant(session)
    other = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/api-keys", json={"name": "LOS", "role": "field_officer"}, headers=bearer(admin)
    )
    assert r.status_code == 201, r.text
    created = r.json()
    raw = created["key"]
    assert raw.startswith("cdk_" + created["prefix"])
    listed = client.get(f"/api/v1/tenants/{tenant.slug}/api-keys", headers=bearer(admin)).json()["items"]
    assert listed[0]["prefix"] == created["prefix"] and "key" not in listed[0]
    with db.session() as s:
        stored = s.execute(select(ApiKey)).scalar_one()
        assert raw not in (stored.key_hash, stored.prefix)

    me = client.get("/api/v1/auth/me", headers={"X-API-Key": raw}).json()
    assert me["role"] == "field_officer" and me["tenant"] == tenant.slug
    # scoped: the key cannot manage users, nor see another tenant
    assert client.get(f"/api/v1/tenants/{tenant.slug}/users", headers={"X-API-Key": raw}).status_code == 403
    assert client.get(f"/api/v1/tenants/{other.slug}", headers={"X-API-Key": raw}).status_code == 404

    assert (
        client.delete(f"/api/v1/tenants/{tenant.slug}/api-keys/{created['id']}", headers=bearer(admin)).status_code
        == 200
    )
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": raw}).status_code == 401


def test_bad_and_escalating_keys(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": "cdk_deadbeef_nope"}).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": "garbage"}).status_code == 401
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/api-keys", json={"name": "x", "role": "platform_admin"}, headers=bearer(admin)
    )
    assert r.status_code == 422


def test_suspended_tenant_keys_stop_working(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    root = make_user(session, None, "platform_admin")
    session.commit()
    raw = client.post(
        f"/api/v1/tenants/{tenant.slug}/api-keys", json={"name": "k", "role": "auditor"}, headers=bearer(admin)
    ).json()["key"]
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": raw}).status_code == 200
    client.patch(f"/api/v1/tenants/{tenant.slug}", json={"status": "suspended"}, headers=bearer(root))
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": raw}).status_code == 401
