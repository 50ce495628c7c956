"""The inbound payment webhook's SQL, counted: one transaction, a bounded number of statements, no re-reads.

The webhook is the hottest write path of the payments room (money_bench.py drives it at its target rate);
each statement is a round trip and ~0.2 ms of Python. The counts are exact for this code and bounded here,
so a change that adds a read to the path shows up as a failing test with the statements listed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from tests.factories import make_tenant
from tests.payments.test_service import _captured, _loan

from creditdesk.audit import service as audit
from creditdesk.db import Database, set_tenant_scope
from creditdesk.payments import service
from creditdesk.payments.models import (
    PAYMENT_GATEWAY_CREDENTIALS,
    GatewayPaymentRecord,
    PaymentGatewayConfigRecord,
    PaymentLinkRecord,
)
from creditdesk.portfolio.models import Payment
from creditdesk.tenancy.models import Tenant

SECRET = "statement-count-webhook-secret"
#: statements of a first delivery that applies a payment on a link: the gateway account, the claim, the
#: link, the portfolio's record_payments (the loan locked with what is due and paid on it, the reference,
#: the payment, its outbox event, the loan, the audit chain's lock, head and entry) and the claim's
#: outcome — 13 on PostgreSQL, 12 on SQLite (no advisory lock); the test's own read of the tenant is the 14th
MAX_APPLIED = 14
#: a repeated delivery: the tenant (the test's read), the gateway account, the claim that inserts nothing
MAX_DUPLICATE = 3


@pytest.fixture
def lender(db: Database, session: Session) -> dict[str, Any]:
    tenant = make_tenant(session)
    loan_id = _loan(session, tenant)
    account = PaymentGatewayConfigRecord(tenant_id=tenant.id, base_url="https://gateway.example/v1", key_id="k")
    account.secrets = {}
    PAYMENT_GATEWAY_CREDENTIALS.update_map(account, {"key_secret": "key-secret", "webhook_secret": SECRET})
    link = PaymentLinkRecord(
        tenant_id=tenant.id,
        loan_id=loan_id,
        gateway_link_id="plink_count",
        url="https://pay.example/x",
        amount=Decimal(5000),
        purpose="emi",
    )
    session.add_all([account, link])
    session.commit()
    return {"tenant_id": tenant.id, "loan_id": loan_id}


@contextmanager
def counted(session: Session) -> Iterator[tuple[list[str], list[str]]]:
    """The SQL statements and COMMITs of this session's connection inside the block (other threads' are not
    counted: the portfolio's report refresh runs on its own connections)."""
    statements: list[str] = []
    commits: list[str] = []
    connection = session.connection()

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(" ".join(sql.split()))

    def commit(_conn: Any) -> None:
        commits.append("COMMIT")

    event.listen(connection, "before_cursor_execute", statement)
    event.listen(connection, "commit", commit)
    try:
        yield statements, commits
    finally:
        event.remove(connection, "before_cursor_execute", statement)
        event.remove(connection, "commit", commit)


def _sign(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _deliver(db: Database, tenant_id: str, body: bytes) -> tuple[str, list[str], int]:
    """One webhook as the route handles it (tenant scope, the tenant, the service), then its commit."""
    signature = _sign(body)
    with db.session() as session:
        set_tenant_scope(session, tenant_id)
        with counted(session) as (statements, commits):
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            ack = service.receive_webhook(session, tenant=tenant, body=body, signature=signature)
            assert not commits, "nothing is committed before the webhook's work is done"
            session.commit()
    return ack.outcome, statements, len(commits)


def test_a_webhook_applies_in_one_transaction_with_a_bounded_number_of_statements(db, lender):
    body = json.dumps(_captured("pay_count1", "plink_count", amount_paise=125000)).encode()
    outcome, statements, commits = _deliver(db, lender["tenant_id"], body)
    listing = "\n".join(s[:120] for s in statements)
    assert outcome == "applied" and commits == 1
    assert len(statements) <= MAX_APPLIED, f"{len(statements)} statements:\n{listing}"
    # the claim is inserted once and never read back; the link is read once
    assert sum(s.startswith("INSERT INTO gateway_payment") for s in statements) == 1, listing
    assert not any(s.startswith("SELECT") and "FROM gateway_payment" in s for s in statements), listing
    assert sum(s.startswith("SELECT") and "FROM payment_link" in s for s in statements) == 1, listing

    again, statements, commits = _deliver(db, lender["tenant_id"], body)
    assert again == "duplicate" and commits == 1
    assert len(statements) <= MAX_DUPLICATE, "\n".join(statements)

    with db.session() as session:
        set_tenant_scope(session, lender["tenant_id"])
        payments = session.execute(select(Payment).where(Payment.loan_id == lender["loan_id"])).scalars().all()
        claims = session.execute(select(GatewayPaymentRecord)).scalars().all()
    assert [(p.reference, p.amount) for p in payments] == [("gw:pay_count1", Decimal("1250.00"))]
    assert [(c.status, c.payment_id, c.loan_id) for c in claims] == [("applied", payments[0].id, lender["loan_id"])]


def test_the_count_does_not_grow_with_the_tenants_book(db, lender, session):
    """A tenant with more links and paid loans costs the same statements per webhook."""
    tenant = session.get(Tenant, lender["tenant_id"])
    for i in range(5):
        loan_id = _loan(session, tenant)
        session.add(
            PaymentLinkRecord(
                tenant_id=tenant.id,
                loan_id=loan_id,
                gateway_link_id=f"plink_more{i}",
                url="https://pay.example/y",
                amount=Decimal(5000),
                purpose="emi",
            )
        )
    session.commit()
    counts = []
    for i in range(3):
        body = json.dumps(_captured(f"pay_grow{i}", f"plink_more{i}", amount_paise=1000 + i)).encode()
        time.sleep(0)  # the same second's events are distinct by id, not by time
        outcome, statements, _ = _deliver(db, lender["tenant_id"], body)
        assert outcome == "applied"
        counts.append(len(statements))
    assert len(set(counts)) == 1 and counts[0] <= MAX_APPLIED, counts


def test_a_batch_of_webhooks_costs_the_statements_of_one(db, lender, session):
    """The webhook writer applies whatever queued in one transaction: 30 payments on 30 loans, a duplicate in the
    batch and a forged one cost the statements of a single delivery, and each gets its own outcome."""
    tenant = session.get(Tenant, lender["tenant_id"])
    bodies = []
    for i in range(30):
        loan_id = _loan(session, tenant)
        session.add(
            PaymentLinkRecord(
                tenant_id=tenant.id,
                loan_id=loan_id,
                gateway_link_id=f"plink_batch{i}",
                url="https://pay.example/b",
                amount=Decimal(5000),
                purpose="emi",
            )
        )
        bodies.append(json.dumps(_captured(f"pay_batch{i:02d}", f"plink_batch{i}", amount_paise=50000)).encode())
    session.commit()
    deliveries = [service.Delivery(tenant.id, body, _sign(body)) for body in bodies]
    deliveries.insert(7, deliveries[3])  # the gateway delivered payment 3 twice, the batch holds both
    deliveries.append(service.Delivery(tenant.id, bodies[0].replace(b"50000", b"99999"), _sign(bodies[0])))
    with db.session() as writer, counted(writer) as (statements, _):
        outcomes = service.receive_webhooks(writer, deliveries)
        writer.commit()
    listing = "\n".join(s[:120] for s in statements)
    said = [o.outcome if isinstance(o, service.WebhookAck) else type(o).__name__ for o in outcomes]
    assert said == ["applied"] * 7 + ["duplicate"] + ["applied"] * 23 + ["Unauthorized"]
    # SQLite reads each audit sub-chain's head on its own (PostgreSQL reads them all in one statement)
    heads = [s for s in statements if s.startswith("SELECT audit_event.chain")]
    assert len(heads) <= audit.DECISION_SHARDS, listing
    assert len(statements) - len(heads) <= MAX_APPLIED + 1, f"{len(statements)} statements:\n{listing}"
    with db.session() as check:
        set_tenant_scope(check, tenant.id)
        payments = check.execute(select(Payment).where(Payment.reference.like("gw:pay_batch%"))).scalars().all()
        claims = check.execute(select(GatewayPaymentRecord).where(GatewayPaymentRecord.status == "applied")).all()
        links = check.execute(select(PaymentLinkRecord).where(PaymentLinkRecord.status == "paid")).all()
    assert sorted(p.reference for p in payments) == [f"gw:pay_batch{i:02d}" for i in range(30)]
    assert {p.amount for p in payments} == {Decimal("500.00")}
    assert len(claims) == 30 and len(links) == 0  # ₹500 on ₹5,000 links: paid in part
