"""Onboarding lenders: tenants, their admins, users, isolation and no escalation."""

from __future__ import annotations

from tests.factories import PASSWORD, bearer, make_tenant, make_user


def _new_tenant(client, root, slug, email):
    return client.post(
        "/api/v1/tenants",
        headers=bearer(root),
        json={
            "slug": slug,
            "name": slug.title(),
            "admin": {"email": email, "name": "Admin", "password": "Kaveri-Ledger-2026"},
        },
    )


def _login(client, email, password="Kaveri-Ledger-2026"):
    r = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_platform_admin_onboards_two_isolated_tenants(client, session):
    root = make_user(session, None, "platform_admin")
    session.commit()
    r1 = _new_tenant(client, root, "sahyadri-finance", "admin@sahyadri.example")
    r2 = _new_tenant(client, root, "ganga-credit", "admin@ganga.example")
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["slug"] == "sahyadri-finance" and r1.json()["status"] == "active"
    assert {t["slug"] for t in client.get("/api/v1/tenants", headers=bearer(root)).json()["items"]} == {
        "sahyadri-finance",
        "ganga-credit",
    }

    a = _login(client, "admin@sahyadri.example")
    b = _login(client, "admin@ganga.example")
    assert [t["slug"] for t in client.get("/api/v1/tenants", headers=a).json()["items"]] == ["sahyadri-finance"]
    assert client.get("/api/v1/tenants/sahyadri-finance/users", headers=a).json()["total"] == 1
    for path in ("", "/users", "/audit", "/audit/verify"):
        r = client.get(f"/api/v1/tenants/ganga-credit{path}", headers=a)
        assert r.status_code == 404, path
    b_users = client.get("/api/v1/tenants/ganga-credit/users", headers=b).json()["items"]
    assert client.get(f"/api/v1/tenants/sahyadri-finance/users/{b_users[0]['id']}", headers=a).status_code == 404


def test_no_privilege_escalation(client, session):
    tenant = make_tenant(session)
    other = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    body = {"email": "sneaky@lender.example", "name": "S", "password": "Sturdy-pass-2026"}
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/users", json={**body, "role": "platform_admin"}, headers=bearer(admin)
    )
    assert r.status_code == 403
    assert (
        client.post(
            "/api/v1/platform-users", json={**body, "role": "platform_admin"}, headers=bearer(admin)
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/tenants/{other.slug}/users", json={**body, "role": "auditor"}, headers=bearer(admin)
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/tenants",
            headers=bearer(admin),
            json={"slug": "mine", "name": "M", "admin": {**body, "email": "m@m.example"}},
        ).status_code
        == 403
    )
    # nothing was created
    users = client.get(f"/api/v1/tenants/{tenant.slug}/users", headers=bearer(admin)).json()
    assert users["total"] == 1
    # and a tenant admin cannot demote or deactivate themself
    assert (
        client.patch(
            f"/api/v1/tenants/{tenant.slug}/users/{admin.id}", json={"role": "auditor"}, headers=bearer(admin)
        ).status_code
        == 403
    )


def test_duplicates_are_409_and_weak_passwords_422(client, session):
    root = make_user(session, None, "platform_admin")
    session.commit()
    assert _new_tenant(client, root, "kaveri-loans", "a@kaveri.example").status_code == 201
    dup_slug = _new_tenant(client, root, "kaveri-loans", "b@kaveri.example")
    assert dup_slug.status_code == 409 and "already taken" in dup_slug.json()["detail"]
    dup_email = _new_tenant(client, root, "kaveri-two", "A@kaveri.example")
    assert dup_email.status_code == 409
    weak = client.post(
        "/api/v1/tenants",
        headers=bearer(root),
        json={"slug": "weakling", "name": "W", "admin": {"email": "w@w.example", "name": "W", "password": "short1"}},
    )
    assert weak.status_code == 422
    assert "12–128 characters" in weak.json()["detail"] and "body.admin.password" in weak.json()["detail"]
    bad_slug = client.post(
        "/api/v1/tenants",
        headers=bearer(root),
        json={
            "slug": "Bad Slug!",
            "name": "W",
            "admin": {"email": "w@w.example", "name": "W", "password": "Sturdy-pass-2026"},
        },
    )
    assert bad_slug.status_code == 422
    slugs = [t["slug"] for t in client.get("/api/v1/tenants", headers=bearer(root)).json()["items"]]
    assert slugs == ["kaveri-loans"]


def test_tenant_admin_manages_users(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/users",
        headers=bearer(admin),
        json={
            "email": "new.officer@lender.example",
            "name": "New Officer",
            "role": "field_officer",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 201
    user = r.json()
    assert user["tenant"] == tenant.slug and user["role"] == "field_officer" and "password" not in str(user)
    r = client.patch(
        f"/api/v1/tenants/{tenant.slug}/users/{user['id']}",
        json={"role": "auditor", "name": "Renamed"},
        headers=bearer(admin),
    )
    assert r.status_code == 200 and r.json()["role"] == "auditor" and r.json()["name"] == "Renamed"
    page = client.get(f"/api/v1/tenants/{tenant.slug}/users?limit=1&offset=1", headers=bearer(admin)).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["limit"] == 1


def test_platform_users(client, session):
    root = make_user(session, None, "platform_admin")
    session.commit()
    r = client.post(
        "/api/v1/platform-users",
        headers=bearer(root),
        json={"email": "analyst@platform.example", "name": "A", "role": "risk_analyst", "password": PASSWORD},
    )
    assert r.status_code == 201 and r.json()["tenant"] is None
    analyst = _login(client, "analyst@platform.example", PASSWORD)
    me = client.get("/api/v1/auth/me", headers=analyst).json()
    assert "bureaus:manage" in me["permissions"] and "tenants:create" not in me["permissions"]
    bad = client.post(
        "/api/v1/platform-users",
        headers=bearer(root),
        json={"email": "x@platform.example", "name": "A", "role": "field_officer", "password": PASSWORD},
    )
    assert bad.status_code == 422
