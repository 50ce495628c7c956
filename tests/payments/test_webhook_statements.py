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
#: statements of a first delivery that applies a payment on a link: tenant scope, gateway account, claim,
#: link, the portfolio's record_payment (loan, reference, amounts due and paid, the payment in a
#: savepoint, the loan, its outbox event and audit entry) and the claim's outcome — 23 on PostgreSQL
#: (with its row-level-security scope set again in each savepoint), 20 on SQLite
MAX_APPLIED = 23
#: a repeated delivery: tenant scope, gateway account, the claim that inserts nothing
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


def _deliver(db: Database, tenant_id: str, body: bytes) -> tuple[str, list[str], int]:
    """One webhook as the route handles it (tenant scope, the tenant, the service), then its commit."""
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
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
