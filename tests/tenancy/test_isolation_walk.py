"""Walk every tenant route with another tenant's slug and ids: the answer is always 404.

When a later domain adds a route with a new path parameter, add an id owned by tenant B to
``owned_ids`` below — the test fails until you do, so no route escapes the walk.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tests.factories import bearer, make_tenant, make_user
from tests.routes import api_routes, fill

from creditdesk.channels.models import Message, MessageTemplate
from creditdesk.lending.models import Saga
from creditdesk.ml import registry
from creditdesk.monitoring.models import MonitoringAlert
from creditdesk.payments.models import PaymentLinkRecord
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.scoring.models import Batch
from creditdesk.webhooks.models import WebhookEndpoint
from creditdesk.worker import service as jobs


def _webhook_of(session, tenant):
    """A webhook endpoint owned by ``tenant``."""
    hook = WebhookEndpoint(
        tenant_id=tenant.id,
        url="https://hooks.example/b",
        events=["application.decided"],
        secret_ciphertext="x",
        secret_last4="abcd",
    )
    session.add(hook)
    session.commit()
    return hook.id


def _portfolio_ids_of(session, tenant):
    """A loan and a monitoring alert owned by ``tenant``."""
    spec = portfolio.LoanSpec(
        principal=Decimal(100000),
        annual_rate_pct=Decimal(12),
        tenure_months=12,
        disbursed_on=date(2025, 1, 10),
        customer=CustomerIn(name="B borrower"),
    )
    loan = portfolio.disburse(session, tenant_id=tenant.id, spec=spec)
    alert = MonitoringAlert(tenant_id=tenant.id, kind="npa_ratio", subject="portfolio", level="critical", message="b")
    session.add(alert)
    session.commit()
    return {"loan_id": loan.id, "alert_id": alert.id, "customer_id": loan.customer_id}


def _payment_link_of(session, tenant, loan_id):
    """A payment link owned by ``tenant`` (as if created at its gateway)."""
    link = PaymentLinkRecord(
        tenant_id=tenant.id,
        loan_id=loan_id,
        gateway_link_id="plink_b",
        url="https://pay.example/b",
        amount=Decimal(100),
        purpose="emi",
    )
    session.add(link)
    session.commit()
    return link.id


def _template_of(session, tenant):
    """A draft message template owned by ``tenant``."""
    template = MessageTemplate(
        tenant_id=tenant.id,
        name="b_reminder",
        channel="email",
        purpose="reminder",
        language="en",
        tone="formal",
        body="Your EMI is due.",
        subject="EMI due",
        variables={},
    )
    session.add(template)
    session.commit()
    return template.id


def _message_of(session, tenant, customer_id, template_id):
    """A message in ``tenant``'s log (blocked: it never leaves)."""
    message = Message(
        tenant_id=tenant.id,
        customer_id=customer_id,
        channel="email",
        purpose="reminder",
        template_id=template_id,
        template_name="b_reminder",
        template_version=1,
        language="en",
        status="blocked",
        blocked_by="opted_out",
    )
    session.add(message)
    session.commit()
    return message.id


def _saga_of(session, tenant, application_id):
    """A disbursement saga owned by ``tenant``."""
    saga = Saga(tenant_id=tenant.id, application_id=application_id, status="waiting", terms={})
    session.add(saga)
    session.commit()
    return saga.id


@pytest.fixture
def two_tenants(client, session, champion, trained_default):
    a = make_tenant(session, "alpha-finance")
    b = make_tenant(session, "beta-credit")
    admin_a = make_user(session, a, "tenant_admin")
    admin_b = make_user(session, b, "tenant_admin")
    user_b = make_user(session, b, "field_officer")
    session.commit()
    key_b = client.post(f"/api/v1/tenants/{b.slug}/api-keys", json={"name": "b"}, headers=bearer(admin_b)).json()
    job_b = jobs.enqueue(session, kind="ops.selftest", tenant_id=b.id)
    session.commit()
    model_b = registry.register(
        session, tenant_id=b.id, result=trained_default, name="b", dataset=None, target=None, created_by=None
    )
    batch_b = Batch(tenant_id=b.id, job_id=job_b.id, filename="b.csv", format="csv", rows=0)
    session.add(batch_b)
    session.commit()
    sample = json.loads((Path(__file__).resolve().parents[2] / "data" / "sample_application.json").read_text())
    sample.pop("pull_bureaus")
    app_b = client.post(f"/api/v1/tenants/{b.slug}/applications", json=sample, headers=bearer(admin_b)).json()
    ids_added_by_scoring = {"application_id": app_b["application_id"], "batch_id": batch_b.id, "model_id": model_b.id}
    ids_added_by_portfolio = _portfolio_ids_of(session, b)
    ids_added_by_webhooks = {"webhook_id": _webhook_of(session, b)}
    ids_added_by_lending = {"saga_id": _saga_of(session, b, app_b["application_id"])}
    ids_added_by_payments = {"link_id": _payment_link_of(session, b, ids_added_by_portfolio["loan_id"])}
    template_b = _template_of(session, b)
    customer_b = ids_added_by_portfolio["customer_id"]
    # customer_id: the loan's borrower; channel: a provider account is addressed by its channel's name
    ids_added_by_channels = {
        "template_id": template_b,
        "message_id": _message_of(session, b, customer_b, template_b),
        "channel": "sms",
    }
    owned_ids = {
        "user_id": user_b.id,
        "key_id": key_b["id"],
        "job_id": job_b.id,
        "bureau": "cibil",
        **ids_added_by_scoring,
        **ids_added_by_webhooks,
        **ids_added_by_portfolio,
        **ids_added_by_lending,
        **ids_added_by_payments,
        **ids_added_by_channels,
    }
    return a, b, admin_a, owned_ids


def test_every_tenant_route_answers_404_across_tenants(app, client, two_tenants):
    a, b, admin_a, owned_ids = two_tenants
    routes = [r for r in api_routes(app, client) if "tenant" in r.params]
    assert len(routes) >= 10
    checked = 0
    for route in routes:
        missing = [p for p in route.params if p != "tenant" and p not in owned_ids]
        assert not missing, f"{route.method} {route.path}: add an id owned by tenant B for {missing}"
        # 1) tenant B's slug with B's ids
        url = fill(route.path, {"tenant": b.slug, **owned_ids})
        r = client.request(route.method, url, json={}, headers=bearer(admin_a))
        assert r.status_code == 404, f"{route.method} {url} -> {r.status_code} {r.text[:200]}"
        assert r.json()["error"] == "NotFound"
        # 2) own slug, B's ids: still 404 (only for routes with ids; a channel's name is not an id)
        if [p for p in route.params if p not in ("tenant", "channel")]:
            url = fill(route.path, {"tenant": a.slug, **owned_ids})
            r = client.request(route.method, url, json={}, headers=bearer(admin_a))
            assert r.status_code in (404, 422), f"{route.method} {url} -> {r.status_code}"
            assert r.status_code == 404 or route.method in ("POST", "PUT", "PATCH")
        checked += 1
    # a slug that does not exist looks exactly the same
    r = client.get(f"/api/v1/tenants/no-such-{uuid.uuid4().hex[:6]}/users", headers=bearer(admin_a))
    assert r.status_code == 404
    assert checked == len(routes)
