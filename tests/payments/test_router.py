"""The payments API: the gateway account (secrets redacted, SSRF rules), links, permissions, isolation."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from tests.factories import bearer, make_tenant, make_user
from tests.payments.test_service import _loan

from creditdesk.kit.ssrf import UnsafeEndpoint, check_provider_url
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET

SECRETS = {"key_secret": SANDBOX_KEY_SECRET, "webhook_secret": SANDBOX_WEBHOOK_SECRET}


@pytest.fixture
def bank(client, session) -> dict[str, Any]:
    tenant = make_tenant(session)
    other = make_tenant(session)
    users = {role: make_user(session, tenant, role) for role in ("tenant_admin", "risk_analyst", "field_officer")}
    other_admin = make_user(session, other, "tenant_admin")
    loan_id, other_loan = _loan(session, tenant), _loan(session, other)
    session.commit()
    return {
        "api": f"/api/v1/tenants/{tenant.slug}/payments",
        "other_api": f"/api/v1/tenants/{other.slug}/payments",
        "users": users,
        "other_admin": other_admin,
        "loan_id": loan_id,
        "other_loan": other_loan,
    }


def _configure(client, bank, base_url: str, **extra: Any) -> Any:
    body = {"base_url": base_url, "key_id": SANDBOX_KEY_ID, **SECRETS, **extra}
    return client.put(f"{bank['api']}/gateway", json=body, headers=bearer(bank["users"]["tenant_admin"]))


def test_the_gateway_account_is_stored_sealed_and_shown_redacted(client, bank, caplog):
    caplog.set_level(logging.DEBUG)
    admin = bearer(bank["users"]["tenant_admin"])
    empty = client.get(f"{bank['api']}/gateway", headers=admin).json()
    assert empty["configured"] is False and empty["credentials"] == {"key_secret": None, "webhook_secret": None}
    partial = client.put(f"{bank['api']}/gateway", json={"key_id": "k"}, headers=admin)
    assert partial.status_code == 422
    r = _configure(client, bank, "http://127.0.0.1:9/simulators/payments/")
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["configured"] and shown["base_url"] == "http://127.0.0.1:9/simulators/payments"
    assert shown["credentials"]["key_secret"].endswith(SANDBOX_KEY_SECRET[-4:])
    assert SANDBOX_KEY_SECRET not in r.text and SANDBOX_WEBHOOK_SECRET not in r.text
    kept = client.put(f"{bank['api']}/gateway", json={"timeout_ms": 2000}, headers=admin).json()
    assert kept["timeout_ms"] == 2000 and kept["credentials"] == shown["credentials"]
    again = client.get(f"{bank['api']}/gateway", headers=admin)
    assert again.json()["credentials"] == shown["credentials"] and SANDBOX_KEY_SECRET not in again.text
    assert client.put(f"{bank['api']}/gateway", json={"base_url": "ftp://x"}, headers=admin).status_code == 422
    assert SANDBOX_KEY_SECRET not in caplog.text and SANDBOX_WEBHOOK_SECRET not in caplog.text


def test_outside_dev_mode_a_private_gateway_address_is_refused():
    production = SimpleNamespace(is_dev_like=False, allow_private_endpoints=False)
    with pytest.raises(UnsafeEndpoint):
        check_provider_url("http://127.0.0.1:8000/simulators/payments", production)  # type: ignore[arg-type]
    dev = SimpleNamespace(is_dev_like=True, allow_private_endpoints=False)
    assert check_provider_url("http://127.0.0.1:8000/x", dev)  # type: ignore[arg-type]


def test_links_are_created_at_the_gateway_and_kept_per_tenant(client, bank, live):
    assert _configure(client, bank, live.base).status_code == 200
    analyst = bearer(bank["users"]["risk_analyst"])
    body = {"loan_id": bank["loan_id"], "amount": "1200", "purpose": "settlement", "expires_in_hours": 2}
    r = client.post(f"{bank['api']}/links", json=body, headers=analyst)
    assert r.status_code == 201, r.text
    link = r.json()
    assert set(link) >= {"id", "url", "status", "amount"} and link["status"] == "created"
    at_gateway = live.gateway().fetch_payment_link(link["gateway_link_id"])
    assert at_gateway.reference_id == link["id"] and at_gateway.status == "created"
    assert client.get(f"{bank['api']}/links/{link['id']}", headers=analyst).json()["id"] == link["id"]
    page = client.get(f"{bank['api']}/links", params={"loan_id": bank["loan_id"]}, headers=analyst).json()
    assert page["total"] == 1 and page["limit"] == 50
    assert client.get(f"{bank['api']}/links", params={"status": "paid"}, headers=analyst).json()["total"] == 0
    # another tenant: its admin sees neither the link nor the loan
    other = bearer(bank["other_admin"])
    assert client.get(f"{bank['other_api']}/links/{link['id']}", headers=other).status_code == 404
    assert client.get(f"{bank['api']}/links/{link['id']}", headers=other).status_code == 404
    assert client.get(f"{bank['other_api']}/links", headers=other).json()["total"] == 0
    foreign = {**body, "loan_id": bank["other_loan"]}
    assert client.post(f"{bank['api']}/links", json=foreign, headers=analyst).status_code == 404
    # a field officer may not create links nor configure the gateway
    officer = bearer(bank["users"]["field_officer"])
    assert client.post(f"{bank['api']}/links", json=body, headers=officer).status_code == 403
    assert client.get(f"{bank['api']}/gateway", headers=officer).status_code == 403
    assert client.get(f"{bank['api']}/gateway", headers=analyst).status_code == 403


def test_a_link_needs_a_gateway_that_answers(client, bank, live):
    analyst = bearer(bank["users"]["risk_analyst"])
    body = {"loan_id": bank["loan_id"], "amount": "100", "purpose": "emi", "expires_in_hours": 1}
    assert client.post(f"{bank['api']}/links", json=body, headers=analyst).status_code == 409
    assert _configure(client, bank, live.base, key_secret="a-wrong-key-secret").status_code == 200
    refused = client.post(f"{bank['api']}/links", json=body, headers=analyst)
    assert refused.status_code == 503 and "a-wrong-key-secret" not in refused.text
