"""record_payments: many payments of one tenant in one transaction, each with its own outcome.

The payment webhooks apply a whole batch through it and ``POST …/payments`` one payment; the outcomes
must be the ones a lender would get posting the same payments one by one, in order.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.factories import make_tenant

from creditdesk.audit.service import SYSTEM
from creditdesk.errors import Conflict, NotFound, ValidationFailed
from creditdesk.portfolio import service
from creditdesk.portfolio.models import Instalment, Loan, Payment
from creditdesk.portfolio.schemas import CustomerIn, PaymentCreate
from creditdesk.tenancy import clock
from creditdesk.worker.models import OutboxEvent

DISBURSED = date(2025, 1, 10)


def _loan(session: Session, tenant_id: str, principal: int = 12000) -> str:
    spec = service.LoanSpec(
        principal=Decimal(principal),
        annual_rate_pct=Decimal(12),
        tenure_months=12,
        disbursed_on=DISBURSED,
        customer=CustomerIn(name="Batch payer"),
    )
    return service.disburse(session, tenant_id=tenant_id, spec=spec).id


def _pay(reference: str, amount: str, paid_on: date = date(2025, 3, 1)) -> PaymentCreate:
    return PaymentCreate(reference=reference, amount=Decimal(amount), paid_on=paid_on, channel="upi")


def test_a_batch_gets_the_outcomes_of_one_by_one_posting(session: Session):
    tenant = make_tenant(session)
    small, other = _loan(session, tenant.id), _loan(session, tenant.id)
    total_due = Decimal(
        session.execute(select(func.sum(Instalment.amount)).where(Instalment.loan_id == small)).scalar_one()
    ).quantize(Decimal("0.01"))
    session.commit()
    items = [
        (small, _pay("B-1", "1000")),
        (small, _pay("B-1", "1000")),  # the same payment twice in the batch: a replay of the first
        (other, _pay("B-1", "1000")),  # the reference on another loan: refused
        ("no-such-loan", _pay("B-2", "10")),
        (small, _pay("B-3", "10", paid_on=DISBURSED - timedelta(days=1))),
        (small, _pay("B-4", "10", paid_on=clock.today(tenant) + timedelta(days=1))),
        (small, _pay("B-5", str(total_due - Decimal(1000)))),  # what remains after B-1: closes the loan
        (small, _pay("B-6", "0.01")),  # nothing remains
        (other, _pay("B-7", "250")),
    ]
    outcomes = service.record_payments(session, tenant=tenant, items=items, actor=SYSTEM)
    session.commit()
    kinds = [
        type(o).__name__ if not isinstance(o, service.PaymentOutcome) else ("replay" if o.replayed else "new")
        for o in outcomes
    ]
    assert kinds == [
        "new",
        "replay",
        "Conflict",
        "NotFound",
        "ValidationFailed",
        "ValidationFailed",
        "new",
        "ValidationFailed",
        "new",
    ]
    assert isinstance(outcomes[2], Conflict) and isinstance(outcomes[3], NotFound)
    assert "before the loan was disbursed" in str(outcomes[4]) and "future" in str(outcomes[5])
    assert isinstance(outcomes[7], ValidationFailed) and "exceeds what remains" in str(outcomes[7])
    assert outcomes[1].payment.id == outcomes[0].payment.id  # type: ignore[union-attr]
    stored = dict(session.execute(select(Payment.reference, Payment.amount)).all())
    assert stored == {"B-1": Decimal("1000.00"), "B-5": total_due - Decimal(1000), "B-7": Decimal("250.00")}
    loans = dict(session.execute(select(Loan.id, Loan.status)).all())
    assert loans == {small: "closed", other: "active"}
    received = session.execute(select(func.count()).where(OutboxEvent.kind == "payment.received")).scalar_one()
    assert received == 3

    again = service.record_payments(
        session, tenant=tenant, items=[(small, _pay("B-5", str(total_due - 1000)))], actor=None
    )
    assert isinstance(again[0], service.PaymentOutcome) and again[0].replayed  # a replay of a closing payment


def test_a_reference_stored_by_a_concurrent_transaction_is_a_replay(session: Session, monkeypatch: pytest.MonkeyPatch):
    """Between reading the references and inserting, another transaction stored one: the insert-or-nothing
    skips it and the outcome is that transaction's payment (or 409 when it was another payment)."""
    tenant = make_tenant(session)
    loan_id = _loan(session, tenant.id)
    session.commit()
    (first,) = service.record_payments(session, tenant=tenant, items=[(loan_id, _pay("RACE-1", "500"))], actor=None)
    session.commit()
    monkeypatch.setattr(service, "_payments_by_reference", lambda *_a, **_k: {})  # the read that missed it
    same, different = service.record_payments(
        session,
        tenant=tenant,
        items=[(loan_id, _pay("RACE-1", "500")), (loan_id, _pay("RACE-1", "501"))],
        actor=None,
    )
    assert isinstance(first, service.PaymentOutcome) and isinstance(same, service.PaymentOutcome)
    assert same.replayed and same.payment.id == first.payment.id
    assert isinstance(different, Conflict)
    assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 1


def test_record_payment_raises_the_refusal(session: Session):
    tenant = make_tenant(session)
    session.commit()
    with pytest.raises(NotFound):
        service.record_payment(session, tenant=tenant, loan_id="missing", data=_pay("X-1", "1"), actor=None)
    assert service.record_payments(session, tenant=tenant, items=[], actor=None) == []
