"""A borrower's token opens only the borrower's own routes, and only their own loans; staff credentials
open none of the borrower's routes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.borrowers.conftest import as_borrower, ask, check, code_in, sign_in
from tests.factories import bearer, make_user
from tests.routes import api_routes, fill

from creditdesk.borrowers.models import BorrowerOtp
from creditdesk.kit.openapi import PUBLIC

BORROWER_ROUTES = ("/api/v1/me/", "/api/v1/borrower-auth/")


def test_a_borrower_reads_only_their_own_loans(client, codes, lenders):
    asha, ravi, meena = lenders["asha"], lenders["ravi"], lenders["meena"]
    headers = as_borrower(sign_in(client, codes, asha))
    mine = client.get("/api/v1/me/accounts", headers=headers).json()["items"]
    assert [a["id"] for a in mine] == [asha.loan_id]
    assert client.get(f"/api/v1/me/accounts/{asha.loan_id}", headers=headers).status_code == 200
    for other in (ravi, meena):  # another borrower of the same lender, a borrower of another lender
        r = client.get(f"/api/v1/me/accounts/{other.loan_id}", headers=headers)
        assert r.status_code == 404 and r.json()["error"] == "NotFound"
    assert client.get("/api/v1/me/accounts/no-such-loan", headers=headers).status_code == 404


def test_a_borrower_token_opens_no_staff_route(app, client, codes, lenders):
    asha = lenders["asha"]
    headers = as_borrower(sign_in(client, codes, asha))
    ids = {"tenant": asha.tenant.slug, "loan_id": asha.loan_id, "customer_id": asha.customer_id}
    walked = 0
    for route in api_routes(app, client):
        if route.path.startswith(BORROWER_ROUTES) or (route.path, route.method.lower()) in PUBLIC:
            continue
        url = fill(route.path, {p: ids.get(p, "00000000-0000-0000-0000-000000000000") for p in route.params})
        if client.request(route.method, url, json={}).status_code != 401:
            continue  # a route without credentials (sign-in, a provider's callback): nothing to refuse
        r = client.request(route.method, url, json={}, headers=headers)
        assert r.status_code == 403, f"{route.method} {route.path}: {r.status_code} {r.text[:200]}"
        assert r.json()["error"] == "Forbidden"
        walked += 1
    assert walked > 50
    r = client.get(f"/api/v1/tenants/{asha.tenant.slug}/portfolio/loans", headers=headers)
    assert r.status_code == 403 and "/api/v1/me" in r.json()["detail"]


@pytest.mark.parametrize("role", ["tenant_admin", "auditor", "platform_admin"])
def test_a_staff_token_opens_no_borrower_route(client, session, codes, lenders, role):
    asha = lenders["asha"]
    staff = make_user(session, None if role == "platform_admin" else asha.tenant, role)
    session.commit()
    for url in ("/api/v1/me/accounts", f"/api/v1/me/accounts/{asha.loan_id}"):
        r = client.get(url, headers=bearer(staff))
        assert r.status_code == 403 and r.json()["error"] == "Forbidden", url


def test_an_api_key_opens_no_borrower_route(client, session, lenders):
    admin = make_user(session, lenders["asha"].tenant, "tenant_admin")
    session.commit()
    key = client.post(
        f"/api/v1/tenants/{lenders['asha'].tenant.slug}/api-keys", json={"name": "los"}, headers=bearer(admin)
    )
    r = client.get("/api/v1/me/accounts", headers={"X-API-Key": key.json()["key"]})
    assert r.status_code == 403
    assert client.get("/api/v1/me/accounts", headers={"X-API-Key": "cdk_nope_nope"}).status_code == 401


def test_the_borrower_routes_need_a_valid_borrower_token(client, settings, codes, lenders):
    assert client.get("/api/v1/me/accounts").status_code == 401
    assert client.get("/api/v1/me/accounts", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    pair = sign_in(client, codes, lenders["asha"])
    refresh_as_access = {"Authorization": f"Bearer {pair['refresh_token']}"}
    assert client.get("/api/v1/me/accounts", headers=refresh_as_access).status_code == 401


def test_a_suspended_lender_closes_its_borrowers_sessions(client, session, codes, lenders):
    from creditdesk.tenancy.deps import forget_tenants

    asha = lenders["asha"]
    headers = as_borrower(sign_in(client, codes, asha))
    asha.tenant.status = "suspended"
    session.commit()
    forget_tenants()
    r = client.get("/api/v1/me/accounts", headers=headers)
    assert r.status_code == 401
    # a suspended lender is answered like one that does not exist: no code for its borrowers, no sign-in
    texts = codes.count()
    assert ask(client, asha.tenant.slug, asha.phone).status_code == 202
    assert check(client, asha.tenant.slug, asha.phone, code_in(codes.texts[-1])).status_code == 401
    assert codes.count() == texts
    assert session.execute(select(BorrowerOtp.tenant_id).order_by(BorrowerOtp.created_at)).scalars().all()[-1] is None
    session.commit()
