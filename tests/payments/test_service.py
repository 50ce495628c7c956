"""End to end over real HTTP: a link, a borrower paying on the simulator, its signed webhooks reaching our
endpoint 5 times each, concurrently and out of order — the loan changes once (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.factories import bearer, make_tenant, make_user

from creditdesk.payments import service
from creditdesk.payments.models import GatewayPaymentRecord, PaymentLinkRecord
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.models import Payment
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.worker.models import OutboxEvent


def _loan(session: Any, tenant: Any) -> str:
    spec = portfolio.LoanSpec(
        principal=Decimal(100000),
        annual_rate_pct=Decimal(12),
        tenure_months=12,
        disbursed_on=date(2025, 1, 10),
        customer=CustomerIn(name="Payer"),
    )
    return portfolio.disburse(session, tenant_id=tenant.id, spec=spec).id


@pytest.fixture
def lender(session: Any, live_app: str) -> dict[str, Any]:
    """A tenant with a loan, its admin, and its gateway account on the app's own simulator."""
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    loan_id = _loan(session, tenant)
    session.commit()
    api = f"{live_app}/api/v1/tenants/{tenant.slug}"
    sim = f"{live_app}/simulators/payments"
    gateway = {
        "base_url": sim,
        "key_id": SANDBOX_KEY_ID,
        "key_secret": SANDBOX_KEY_SECRET,
        "webhook_secret": SANDBOX_WEBHOOK_SECRET,
    }
    r = httpx.put(f"{api}/payments/gateway", json=gateway, headers=bearer(admin))
    assert r.status_code == 200, r.text
    hook = {
        "key_secret": SANDBOX_KEY_SECRET,
        "webhook_secret": SANDBOX_WEBHOOK_SECRET,
        "webhook_url": live_app + r.json()["webhook_path"],
    }
    assert httpx.put(f"{sim}/accounts/{SANDBOX_KEY_ID}", json=hook).is_success
    return {"tenant": tenant, "admin": admin, "loan_id": loan_id, "api": api, "sim": sim, "base": live_app}


def _deliveries(sim: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        items: list[dict[str, Any]] = httpx.get(f"{sim}/accounts/{SANDBOX_KEY_ID}/webhook_deliveries").json()["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.05)


def _counts(session: Any, tenant_id: str) -> tuple[list[Payment], list[OutboxEvent], list[GatewayPaymentRecord]]:
    session.expire_all()
    payments = list(session.execute(select(Payment).where(Payment.tenant_id == tenant_id)).scalars())
    events = select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.kind == "payment.received")
    claimed = select(GatewayPaymentRecord).where(GatewayPaymentRecord.tenant_id == tenant_id)
    return payments, list(session.execute(events).scalars()), list(session.execute(claimed).scalars())


def test_a_paid_link_changes_the_loan_once_whatever_the_webhooks_do(session, lender, caplog):
    caplog.set_level(logging.DEBUG)
    faults = {"webhook_duplicates": 5, "webhook_concurrency": 5, "webhook_order": "reverse"}
    assert httpx.put(f"{lender['sim']}/accounts/{SANDBOX_KEY_ID}/faults", json=faults).is_success
    body = {"loan_id": lender["loan_id"], "amount": "2500.50", "purpose": "emi", "expires_in_hours": 24}
    r = httpx.post(f"{lender['api']}/payments/links", json=body, headers=bearer(lender["admin"]))
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["status"] == "created" and Decimal(link["amount"]) == Decimal("2500.50") and link["url"]
    # the borrower pays: payment.captured and payment_link.paid, each delivered 5 times, 5 at once, reversed
    paid = httpx.post(f"{lender['sim']}/v1/payment_links/{link['gateway_link_id']}/pay", json={"method": "upi"})
    assert paid.status_code == 200, paid.text
    deliveries = _deliveries(lender["sim"], 10)
    assert len(deliveries) == 10 and {d["status_code"] for d in deliveries} == {200}, deliveries
    payments, events, claimed = _counts(session, lender["tenant"].id)
    assert len(payments) == 1 and len(events) == 1 and len(claimed) == 1
    assert payments[0].reference == f"gw:{paid.json()['id']}" and payments[0].amount == Decimal("2500.50")
    assert payments[0].channel == "upi" and payments[0].loan_id == lender["loan_id"]
    assert claimed[0].status == "applied" and claimed[0].payment_id == payments[0].id
    again = httpx.get(f"{lender['api']}/payments/links/{link['id']}", headers=bearer(lender["admin"])).json()
    assert again["status"] == "paid" and again["paid_at"]
    listed = httpx.get(f"{lender['api']}/payments/links", headers=bearer(lender["admin"])).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == link["id"]
    assert SANDBOX_KEY_SECRET not in caplog.text and SANDBOX_WEBHOOK_SECRET not in caplog.text


def _signed(event: dict[str, Any], secret: str = SANDBOX_WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(event).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Gateway-Signature": signature}


def _captured(payment_id: str, link_id: str | None, amount_paise: int = 150000) -> dict[str, Any]:
    payment = {
        "id": payment_id,
        "entity": "payment",
        "amount": amount_paise,
        "status": "captured",
        "method": "card",
        "payment_link_id": link_id,
        "created_at": int(time.time()),
    }
    return {
        "entity": "event",
        "id": f"evt_{payment_id}",
        "account_id": "acc_x",
        "event": "payment.captured",
        "contains": ["payment"],
        "payload": {"payment": {"entity": payment}},
        "created_at": int(time.time()),
    }


def _stored_link(session: Any, lender: dict[str, Any], gateway_link_id: str, amount: str = "1500") -> None:
    link = PaymentLinkRecord(
        tenant_id=lender["tenant"].id,
        loan_id=lender["loan_id"],
        gateway_link_id=gateway_link_id,
        url="https://pay.example/x",
        amount=Decimal(amount),
        purpose="ptp",
    )
    session.add(link)
    session.commit()


def test_the_same_signed_body_posted_5_times_at_once_counts_once(session, lender):
    _stored_link(session, lender, "plink_direct")
    raw, headers = _signed(_captured("pay_direct1", "plink_direct"))
    url = f"{lender['base']}{service.webhook_path(lender['tenant'].slug)}"
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: httpx.post(url, content=raw, headers=headers, timeout=30), range(5)))
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["applied", "duplicate", "duplicate", "duplicate", "duplicate"]
    payments, events, claimed = _counts(session, lender["tenant"].id)
    assert len(payments) == 1 and len(events) == 1 and len(claimed) == 1
    assert payments[0].channel == "other"


def test_a_bad_signature_is_401_and_records_nothing(session, lender):
    _stored_link(session, lender, "plink_bad")
    raw, headers = _signed(_captured("pay_bad1", "plink_bad"), secret="not-the-tenants-secret")
    url = f"{lender['base']}{service.webhook_path(lender['tenant'].slug)}"
    assert httpx.post(url, content=raw, headers=headers).status_code == 401
    assert httpx.post(url, content=raw, headers={"Content-Type": "application/json"}).status_code == 401
    assert httpx.post(url, content=b"x" * (service.MAX_WEBHOOK_BYTES + 1), headers=headers).status_code == 413
    assert httpx.post(f"{lender['base']}/api/v1/webhooks/payments/no-such-tenant", content=raw).status_code == 404
    payments, events, claimed = _counts(session, lender["tenant"].id)
    assert payments == [] and events == [] and claimed == []


def test_unknown_links_and_refused_payments_are_recorded_and_answered_200(session, lender):
    url = f"{lender['base']}{service.webhook_path(lender['tenant'].slug)}"
    raw, headers = _signed(_captured("pay_orphan", "plink_nobody"))
    r = httpx.post(url, content=raw, headers=headers)
    assert r.status_code == 200 and r.json()["outcome"] == "unmatched"
    assert httpx.post(url, content=raw, headers=headers).json()["outcome"] == "duplicate"
    _stored_link(session, lender, "plink_huge", amount="99999999")
    raw, headers = _signed(_captured("pay_huge", "plink_huge", amount_paise=9_999_999_900))
    r = httpx.post(url, content=raw, headers=headers)
    assert r.status_code == 200 and r.json()["outcome"] == "rejected"
    failed = _captured("pay_failed", "plink_huge")
    failed["payload"]["payment"]["entity"]["status"] = "failed"
    raw, headers = _signed(failed)
    assert httpx.post(url, content=raw, headers=headers).json()["outcome"] == "ignored"
    refund = _captured("pay_refunded", "plink_huge")
    refund["event"] = "refund.processed"
    raw, headers = _signed(refund)
    assert httpx.post(url, content=raw, headers=headers).json()["outcome"] == "ignored"
    raw, headers = _signed({"not": "an event"})
    assert httpx.post(url, content=raw, headers=headers).status_code == 400
    payments, events, claimed = _counts(session, lender["tenant"].id)
    assert payments == [] and events == []
    assert sorted((c.gateway_payment_id, c.status) for c in claimed) == [
        ("pay_huge", "rejected"),
        ("pay_orphan", "unmatched"),
    ]
