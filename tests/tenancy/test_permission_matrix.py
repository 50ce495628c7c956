"""Role × route → expected status, generated from ROLE_PERMISSIONS.

For every route that declares a permission and every kind of caller, the answer is 403 exactly
when the caller's role lacks the permission (and never 401).
"""

from __future__ import annotations

from tests.factories import bearer, make_tenant, make_user
from tests.routes import api_routes, fill

from creditdesk.tenancy.permissions import permissions_for

CALLERS = [
    ("platform_admin", True),
    ("risk_analyst", True),
    ("tenant_admin", False),
    ("risk_analyst", False),
    ("field_officer", False),
    ("auditor", False),
]


def test_permission_matrix(app, client, session):
    tenant = make_tenant(session, "matrix-bank")
    callers = {(role, platform): make_user(session, None if platform else tenant, role) for role, platform in CALLERS}
    session.commit()
    routes = [r for r in api_routes(app, client) if r.permission is not None]
    assert len(routes) >= 10
    ids = {"tenant": tenant.slug}
    failures = []
    for route in routes:
        url = fill(route.path, {p: ids.get(p, "00000000-0000-0000-0000-000000000000") for p in route.params})
        for (role, platform), user in callers.items():
            allowed = route.permission in permissions_for(role, platform_scoped=platform)
            r = client.request(route.method, url, json={}, headers=bearer(user))
            got_forbidden = r.status_code == 403
            if r.status_code == 401 or got_forbidden == allowed:
                failures.append(
                    f"{role}{'(platform)' if platform else ''} {route.method} {route.path}: "
                    f"{r.status_code} (allowed={allowed})"
                )
    assert not failures, "\n".join(failures)


def test_field_officer_gets_403_on_user_management(client, session):
    tenant = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    assert client.get(f"/api/v1/tenants/{tenant.slug}/users", headers=bearer(officer)).status_code == 403
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/users",
        headers=bearer(officer),
        json={"email": "x@y.example", "name": "X", "role": "auditor", "password": "Sturdy-pass-2026"},
    )
    assert r.status_code == 403 and r.json()["error"] == "Forbidden"
