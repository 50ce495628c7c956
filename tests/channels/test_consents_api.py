"""A borrower's consent ledger: opting out is one call, opting back in needs evidence, the latest entry
decides, every entry is audited; permissions and tenant isolation; concurrent opt-outs over real HTTP."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.factories import bearer, make_tenant, make_user
from tests.payments.conftest import running

from creditdesk.audit.models import AuditEvent
from creditdesk.channels import service
from creditdesk.channels.models import ConsentEvent
from creditdesk.channels.policy import DEFAULT_POLICY, ContactContext, SendRequest, evaluate
from creditdesk.db import set_tenant_scope
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import CustomerIn


def _borrower(session, tenant) -> str:
    spec = portfolio.LoanSpec(
        principal=Decimal(50000),
        annual_rate_pct=Decimal(14),
        tenure_months=12,
        disbursed_on=date(2025, 1, 10),
        customer=CustomerIn(name="Asha Kulkarni", phone="+919812345678"),
    )
    return portfolio.disburse(session, tenant_id=tenant.id, spec=spec).customer_id


@pytest.fixture
def lender(session) -> dict[str, Any]:
    tenant, other = make_tenant(session), make_tenant(session)
    users = {
        role: make_user(session, tenant, role) for role in ("tenant_admin", "risk_analyst", "auditor", "field_officer")
    }
    borrower, stranger = _borrower(session, tenant), _borrower(session, other)
    other_admin = make_user(session, other, "tenant_admin")
    session.commit()
    base = f"/api/v1/tenants/{tenant.slug}/borrowers/{borrower}"
    return {
        "tenant": tenant,
        "base": base,
        "users": users,
        "borrower": borrower,
        "stranger": stranger,
        "other_admin": other_admin,
        "other_base": f"/api/v1/tenants/{other.slug}/borrowers/{stranger}",
    }


def _as(lender: dict[str, Any], role: str) -> dict[str, str]:
    return bearer(lender["users"][role])


def test_the_ledger_keeps_every_entry_and_the_latest_decides(client, lender, session):
    base, analyst = lender["base"], _as(lender, "risk_analyst")
    empty = client.get(f"{base}/consents", headers=_as(lender, "auditor")).json()
    assert empty == {"customer_id": lender["borrower"], "opted_out": [], "consents": {}, "history": []}

    grant = {"channel": "whatsapp", "purpose": "reminder", "action": "granted", "source": "borrower_app"}
    r = client.post(f"{base}/consents", json=grant, headers=analyst)
    assert r.status_code == 201 and r.json()["consents"] == {"whatsapp": ["reminder"]}
    client.post(f"{base}/consents", json=grant | {"purpose": "offer"}, headers=analyst)
    r = client.post(f"{base}/consents", json=grant | {"purpose": "offer", "action": "withdrawn"}, headers=analyst)
    assert r.json()["consents"] == {"whatsapp": ["reminder"]}

    r = client.post(f"{base}/opt-out", json={"source": "sms_reply", "evidence": "msg-123"}, headers=analyst)
    assert r.status_code == 201 and r.json()["opted_out"] == ["all"]
    assert client.post(f"{base}/opt-in", json={"channel": "all"}, headers=analyst).status_code == 422  # evidence
    r = client.post(f"{base}/opt-in", json={"channel": "all", "evidence": "form 7 signed at branch"}, headers=analyst)
    assert r.json()["opted_out"] == []
    r = client.post(f"{base}/opt-out", json={"channel": "voice"}, headers=analyst)
    read = r.json()
    assert read["opted_out"] == ["voice"] and read["consents"] == {"whatsapp": ["reminder"]}
    assert [e["action"] for e in read["history"]] == [
        "opted_out",
        "opted_in",
        "opted_out",
        "withdrawn",
        "granted",
        "granted",
    ]
    assert read["history"][2]["evidence"] == "msg-123" and read["history"][0]["recorded_by"]

    set_tenant_scope(session, lender["tenant"].id)
    opted, consents = service.contact_state(session, tenant_id=lender["tenant"].id, customer_id=lender["borrower"])
    context = ContactContext(
        now=datetime.fromisoformat("2026-03-02T10:00:00+05:30"), opted_out=opted, consents=consents
    )
    call = SendRequest(channel="voice", purpose="collections", recipient_role="borrower", initiated_by="agent")
    assert evaluate(DEFAULT_POLICY, call, context).blocked_by == "opted_out"
    reminder = SendRequest(channel="whatsapp", purpose="reminder", recipient_role="borrower", initiated_by="system")
    assert evaluate(DEFAULT_POLICY, reminder, context).allowed
    audited = session.execute(
        select(func.count()).where(
            AuditEvent.resource_id == lender["borrower"], AuditEvent.action.like("channels.consent_%")
        )
    ).scalar_one()
    assert audited == 6


def test_permissions_and_isolation(client, lender):
    base, body = lender["base"], {"channel": "sms"}
    assert client.post(f"{base}/opt-out", json=body, headers=_as(lender, "auditor")).status_code == 403
    assert client.post(f"{base}/opt-out", json=body, headers=_as(lender, "field_officer")).status_code == 403
    assert client.get(f"{base}/consents", headers=_as(lender, "field_officer")).status_code == 403
    assert client.get(f"{base}/consents", headers=bearer(lender["other_admin"])).status_code == 404
    assert client.post(f"{base}/opt-out", json=body, headers=bearer(lender["other_admin"])).status_code == 404
    # another tenant's borrower through this tenant's path
    stranger = base.replace(lender["borrower"], lender["stranger"])
    assert client.post(f"{stranger}/opt-out", json=body, headers=_as(lender, "tenant_admin")).status_code == 404
    bad = client.post(f"{base}/opt-out", json={"channel": "pigeon"}, headers=_as(lender, "tenant_admin"))
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "body.channel"


def test_concurrent_opt_outs_over_real_http_lose_nothing(app, lender, session):
    admin = _as(lender, "tenant_admin")
    with running(app) as base:
        url = base + lender["base"] + "/opt-out"
        codes: list[int] = []
        barrier = threading.Barrier(10)

        def opt_out(i: int) -> None:
            barrier.wait()
            codes.append(
                httpx.post(url, json={"channel": ["sms", "whatsapp"][i % 2]}, headers=admin, timeout=30).status_code
            )

        threads = [threading.Thread(target=opt_out, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes == [201] * 10
    set_tenant_scope(session, lender["tenant"].id)
    assert session.execute(select(func.count()).select_from(ConsentEvent)).scalar_one() == 10
    opted, _ = service.contact_state(session, tenant_id=lender["tenant"].id, customer_id=lender["borrower"])
    assert opted == {"sms", "whatsapp"}
