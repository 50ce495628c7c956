"""Sign-in: JSON and form, uniform errors, lockout, suspended tenants, /auth/me."""

from __future__ import annotations

from tests.factories import PASSWORD, bearer, make_tenant, make_user

from creditdesk.tenancy.permissions import Permission


def _login(client, email, password, form=False):
    if form:
        return client.post("/api/v1/auth/token", data={"username": email, "password": password})
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_login_json_and_form_then_me(client, session):
    tenant = make_tenant(session)
    user = make_user(session, tenant, "field_officer", email="Officer@Lender.example")
    session.commit()
    for form in (False, True):
        r = _login(client, "officer@lender.example", PASSWORD, form=form)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 900 and body["refresh_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me["id"] == user.id and me["tenant"] == tenant.slug and me["role"] == "field_officer"
    assert Permission.APPLICATIONS_CREATE.value in me["permissions"]
    assert Permission.USERS_MANAGE.value not in me["permissions"]


def test_unknown_user_and_wrong_password_look_the_same(client, session):
    make_user(session, None, "platform_admin", email="root@platform.example")
    session.commit()
    wrong = _login(client, "root@platform.example", "Wrong-password-1")
    unknown = _login(client, "ghost@platform.example", "Wrong-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Incorrect email or password"
    assert wrong.json()["error"] == unknown.json()["error"]


def test_five_failures_lock_the_account_from_that_address_only(client, session, clock, other_client):
    make_user(session, None, "risk_analyst", email="analyst@platform.example")
    session.commit()
    for _ in range(4):
        assert _login(client, "analyst@platform.example", "Wrong-password-1").json()["error"] == "InvalidCredentials"
        clock.advance(60)  # past each back-off
    fifth = _login(client, "analyst@platform.example", "Wrong-password-1")
    assert fifth.status_code == 401 and fifth.json()["error"] == "AccountLocked"  # the locking failure says so
    clock.advance(60)
    locked = _login(client, "analyst@platform.example", PASSWORD)
    assert locked.status_code == 401
    assert locked.json()["error"] == "AccountLocked"
    assert "try again in" in locked.json()["detail"]
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert _login(other_client, "analyst@platform.example", PASSWORD).status_code == 200  # the owner, elsewhere
    clock.advance(15 * 60 + 1)
    assert _login(client, "analyst@platform.example", PASSWORD).status_code == 200  # the lock ran out


def test_lockout_applies_to_unknown_emails_too(client, clock):
    for _ in range(5):
        _login(client, "nobody@platform.example", "Wrong-password-1")
        clock.advance(60)
    assert _login(client, "nobody@platform.example", "Wrong-password-1").json()["error"] == "AccountLocked"


def test_suspended_tenant_cannot_log_in_or_use_tokens(client, session):
    tenant = make_tenant(session)
    make_user(session, tenant, "tenant_admin", email="boss@suspended.example")
    admin = make_user(session, None, "platform_admin")
    session.commit()
    token = _login(client, "boss@suspended.example", PASSWORD).json()["access_token"]
    r = client.patch(f"/api/v1/tenants/{tenant.slug}", json={"status": "suspended"}, headers=bearer(admin))
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = _login(client, "boss@suspended.example", PASSWORD)
    assert r.status_code == 401 and "suspended" in r.json()["detail"]


def test_deactivated_user_cannot_log_in(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    officer = make_user(session, tenant, "field_officer", email="leaver@lender.example")
    session.commit()
    r = client.patch(
        f"/api/v1/tenants/{tenant.slug}/users/{officer.id}", json={"is_active": False}, headers=bearer(admin)
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert _login(client, "leaver@lender.example", PASSWORD).status_code == 401


def test_login_bad_payloads(client):
    assert (
        client.post("/api/v1/auth/token", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    )
    r = client.post("/api/v1/auth/token", json={"email": "a@b.example"})
    assert r.status_code == 422 and "password" in r.json()["detail"]
    assert client.post("/api/v1/auth/token", json=["x"]).status_code == 422
