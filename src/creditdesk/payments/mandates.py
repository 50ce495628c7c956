"""E-mandates: registered at the tenant's gateway, confirmed by webhook, debited on due dates, bounces charged.

- **Registration** (:func:`record`): the lending saga registers a mandate through its provider and
  records it here, ``pending`` until the gateway's ``token.confirmed`` / ``token.rejected`` webhook
  (:func:`receive_token_event`) or a look-up moves it; listeners (:func:`on_settled`, wired at the
  composition root) run the saga forward.
- **Presentation** (:func:`present_due`): each instalment due is claimed once with an insert-or-nothing
  on ``mandate_debit`` (unique per tenant, loan and instalment) and committed *before* the gateway is
  asked, then presented with the debit's id as the gateway's ``receipt`` — the gateway makes one debit
  per receipt, so a retry or a second worker cannot debit the borrower twice.
- **Results**: a captured debit goes through the one webhook apply path (``service._apply``: the claim on
  ``gateway_payment``, then ``portfolio.record_payment`` and ``payment.received``); a failed one
  (:func:`receive_bounce`) marks the debit ``bounced`` with NPCI's return reason in a conditional UPDATE
  (only the first delivery wins) and levies the bounce charge once (``charge.source`` = the debit).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import cast

from pydantic import SecretStr
from sqlalchemy import ColumnElement, and_, bindparam, or_, update
from sqlalchemy.orm import Session

from creditdesk.config import Settings, get_settings
from creditdesk.db import insert_into, new_id, utcnow
from creditdesk.errors import Conflict, NotFound
from creditdesk.payments.errors import GatewayError
from creditdesk.payments.gateway import (
    GatewayConfig,
    Payment,
    PaymentGateway,
    RecurringDebitCreate,
    Token,
    WebhookEvent,
)
from creditdesk.payments.models import MandateDebitRecord, MandateRecord, PaymentGatewayConfigRecord
from creditdesk.payments.schemas import DebitStatus, MandateDebitRead, MandateRead, MandateStatus, WebhookAck
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET
from creditdesk.portfolio import dayend
from creditdesk.portfolio.book import rupees
from creditdesk.portfolio.ledger import build_book
from creditdesk.portfolio.models import Instalment, Loan
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned

log = logging.getLogger(__name__)

#: a gateway token's status → the mandate's
STATUS = {"pending": "pending", "confirmed": "active", "rejected": "rejected", "cancelled": "cancelled"}
#: how many days back an instalment not yet presented is still presented (the scheduler was down)
CATCH_UP_DAYS = 3
SETTLED = ("paid", "bounced")
#: a webhook for a token we do not know, younger than this, is refused (409) so the gateway delivers it again:
#: it raced the saga's commit of the registration; an older one is acknowledged as unmatched
EARLY_WEBHOOK_S = 600

SettledListener = Callable[[Session, MandateRecord], None]
_listeners: list[SettledListener] = []


def on_settled(listener: SettledListener) -> None:
    """Call ``listener(session, mandate)`` when a webhook moves a mandate to active, rejected or cancelled."""
    if listener not in _listeners:
        _listeners.append(listener)


@dataclass(frozen=True)
class MandateState:
    """A mandate as the gateway reports it, in our words."""

    id: str
    status: str  # pending | active | rejected | cancelled
    umrn: str | None
    max_amount: Decimal
    method: str
    customer_id: str | None = None
    reason: str | None = None


def state_of(token: Token) -> MandateState:
    """Our view of a gateway token."""
    return MandateState(
        id=token.id,
        status=STATUS[token.status],
        umrn=token.umrn,
        max_amount=token.max_amount,
        method=token.method,
        customer_id=token.customer_id,
        reason=token.error_description,
    )


# -- the tenant's gateway ----------------------------------------------------------------------------


def sandbox_config(tenant_id: str, settings: Settings) -> GatewayConfig:
    """The payment simulator's sandbox account on this server (demo/dev only)."""
    base = settings.own_base_url
    return GatewayConfig(
        tenant_id=tenant_id,
        base_url=f"{base}/simulators/payments",
        key_id=SANDBOX_KEY_ID,
        key_secret=SecretStr(SANDBOX_KEY_SECRET),
        webhook_secret=SecretStr(SANDBOX_WEBHOOK_SECRET),
    )


def tenant_gateway(
    session: Session, *, tenant_id: str, open_stored: Callable[[PaymentGatewayConfigRecord], PaymentGateway]
) -> PaymentGateway | None:
    """The tenant's stored gateway account, else (demo/dev) the simulator's sandbox account, else None."""
    record = session.execute(select_owned(PaymentGatewayConfigRecord, tenant_id)).scalar_one_or_none()
    if record is not None:
        return open_stored(record)
    settings = get_settings()
    return PaymentGateway(sandbox_config(tenant_id, settings)) if settings.is_dev_like else None


# -- registration ------------------------------------------------------------------------------------


def by_reference(session: Session, *, tenant_id: str, reference: str) -> MandateRecord | None:
    """The mandate registered with ``reference`` (the saga's step key)."""
    stmt = select_owned(MandateRecord, tenant_id).where(MandateRecord.reference == reference)
    return session.execute(stmt).scalar_one_or_none()


def record(
    session: Session,
    *,
    tenant_id: str,
    reference: str,
    state: MandateState,
    application_id: str | None = None,
    loan_id: str | None = None,
) -> MandateRecord:
    """Store a registration (once per reference) or bring its status up to what the gateway says."""
    mandate = by_reference(session, tenant_id=tenant_id, reference=reference)
    if mandate is None:
        values = {
            "id": new_id(),
            "created_at": utcnow(),
            "updated_at": utcnow(),
            "tenant_id": tenant_id,
            "reference": reference,
            "application_id": application_id,
            "loan_id": loan_id,
            "gateway_token_id": state.id,
            "gateway_customer_id": state.customer_id,
            "method": state.method,
            "umrn": state.umrn,
            "status": "pending",
            "max_amount": state.max_amount,
        }
        stmt = insert_into(session, MandateRecord).values(**values).on_conflict_do_nothing()
        session.execute(stmt)
        mandate = by_reference(session, tenant_id=tenant_id, reference=reference)
        assert mandate is not None
    _move(mandate, state.status, state.reason)
    session.flush()
    return mandate


def _move(mandate: MandateRecord, status: str, reason: str | None) -> bool:
    """Move a mandate on (pending → active | rejected; any → cancelled); True when it moved."""
    if status == mandate.status or mandate.status in ("rejected", "cancelled") or status == "pending":
        return False
    mandate.status, mandate.status_reason, mandate.updated_at = status, reason, utcnow()
    if status == "active":
        mandate.confirmed_at = utcnow()
    return True


def mark_cancelled(session: Session, *, tenant_id: str, reference: str) -> None:
    """Record that we cancelled the mandate registered with ``reference`` (a saga's compensation)."""
    mandate = by_reference(session, tenant_id=tenant_id, reference=reference)
    if mandate is not None:
        _move(mandate, "cancelled", "cancelled by the lender")


def receive_token_event(session: Session, *, tenant: Tenant, event: WebhookEvent) -> WebhookAck:
    """``token.confirmed`` / ``token.rejected`` / ``token.cancelled``: move the mandate, tell the listeners."""
    token = event.entity("token", Token)
    if token is None:
        return WebhookAck(outcome="ignored")
    stmt = select_owned(MandateRecord, tenant.id).where(MandateRecord.gateway_token_id == token.id)
    mandate = session.execute(stmt.with_for_update()).scalar_one_or_none()
    if mandate is None:
        if time.time() - event.created_at < EARLY_WEBHOOK_S:
            # registered, but the saga's transaction has not committed its record yet: a non-2xx answer has
            # the gateway deliver it again shortly (else only the hourly sweep's look-up would wake the saga)
            log.info("mandate webhook %s for tenant %s: no mandate %s yet", event.event, tenant.id, token.id)
            raise Conflict(f"mandate {token.id} is not known yet; deliver the webhook again")
        log.warning("mandate webhook %s for tenant %s: no mandate %s", event.event, tenant.id, token.id)
        return WebhookAck(outcome="unmatched")
    if not _move(mandate, STATUS[token.status], token.error_description):
        return WebhookAck(outcome="duplicate")
    mandate.umrn = mandate.umrn or token.umrn
    session.flush()
    for listener in _listeners:
        listener(session, mandate)
    return WebhookAck(outcome="applied")


def mandate_of_loan(session: Session, *, tenant_id: str, loan: Loan) -> MandateRecord | None:
    """The loan's latest mandate: registered for the loan, or for the application it was booked from."""
    linked = MandateRecord.loan_id == loan.id
    if loan.application_id is not None:
        linked = or_(linked, and_(MandateRecord.loan_id.is_(None), MandateRecord.application_id == loan.application_id))
    stmt = select_owned(MandateRecord, tenant_id).where(linked).order_by(MandateRecord.created_at.desc()).limit(1)
    return session.execute(stmt).scalar_one_or_none()


def loan_mandate(session: Session, *, tenant: Tenant, loan_id: str) -> MandateRead:
    """The loan's mandate and a debit per instalment (a row once presented, else ``scheduled``); 404 without one."""
    loan = get_owned(session, Loan, loan_id, tenant.id, what="Loan")
    mandate = mandate_of_loan(session, tenant_id=tenant.id, loan=loan)
    if mandate is None:
        raise NotFound(f"Loan {loan_id} has no mandate")
    instalments = session.execute(
        select_owned(Instalment, tenant.id).where(Instalment.loan_id == loan.id).order_by(Instalment.seq)
    ).scalars()
    debits = {
        d.instalment_seq: d
        for d in session.execute(
            select_owned(MandateDebitRecord, tenant.id).where(MandateDebitRecord.loan_id == loan.id)
        ).scalars()
    }
    rows = []
    for instalment in instalments:
        debit = debits.get(instalment.seq)
        rows.append(
            MandateDebitRead(
                due_date=instalment.due_on,
                amount=debit.amount if debit else instalment.amount,
                status=cast(DebitStatus, debit.status if debit else "scheduled"),
                reason_code=debit.reason_code if debit else None,
                reason=debit.reason if debit else None,
            )
        )
    return MandateRead(
        id=mandate.id,
        status=cast(MandateStatus, mandate.status),
        umrn=mandate.umrn,
        max_amount=mandate.max_amount,
        registered_at=mandate.created_at,
        debits=rows,
    )


# -- presenting debits -------------------------------------------------------------------------------


def _mandated_loans(session: Session, *, tenant_id: str) -> dict[str, tuple[MandateRecord, Loan]]:
    """Active loans with an active mandate: loan id → (mandate, loan)."""
    active = list(
        session.execute(select_owned(MandateRecord, tenant_id).where(MandateRecord.status == "active")).scalars()
    )
    by_key = {m.loan_id or m.application_id: m for m in active}
    found = {}
    if active:
        for loan in session.execute(select_owned(Loan, tenant_id).where(Loan.status == "active")).scalars():
            mandate = by_key.get(loan.id) or (by_key.get(loan.application_id) if loan.application_id else None)
            if mandate is not None:
                found[loan.id] = (mandate, loan)
    return found


def _due_debits(session: Session, *, tenant: Tenant, today: date) -> list[tuple[MandateRecord, Instalment, Decimal]]:
    """(mandate, instalment, amount unpaid) of each instalment to present today (or missed in the last days)."""
    mandated = _mandated_loans(session, tenant_id=tenant.id)
    if not mandated:
        return []
    book = build_book(session, tenant_id=tenant.id, loan_ids=list(mandated))
    upto = book.p_on <= today.toordinal()
    to_instalments = {
        loan_id: int(book.p_instalments[upto & (book.p_loan == position)].sum())
        for position, loan_id in enumerate(book.ids)
    }
    instalments = session.execute(
        select_owned(Instalment, tenant.id)
        .where(Instalment.loan_id.in_(list(mandated)), Instalment.due_on <= today)
        .order_by(Instalment.loan_id, Instalment.seq)
    ).scalars()
    earliest = today - timedelta(days=CATCH_UP_DAYS)
    due = []
    owed_before: dict[str, Decimal] = {}
    for instalment in instalments:
        before = owed_before.get(instalment.loan_id, Decimal(0))
        owed_before[instalment.loan_id] = before + instalment.amount
        paid = rupees(to_instalments.get(instalment.loan_id, 0))
        unpaid = instalment.amount - min(max(paid - before, Decimal(0)), instalment.amount)
        if instalment.due_on >= earliest and unpaid > 0:
            due.append((mandated[instalment.loan_id][0], instalment, unpaid))
    return due


def claim_due(session: Session, *, tenant: Tenant, today: date) -> list[str]:
    """Claim a debit row (``scheduled``) for each instalment to present today; the ids this call inserted."""
    claimed = []
    for mandate, instalment, unpaid in _due_debits(session, tenant=tenant, today=today):
        values = {
            "id": new_id(),
            "created_at": utcnow(),
            "tenant_id": tenant.id,
            "mandate_id": mandate.id,
            "loan_id": instalment.loan_id,
            "instalment_seq": instalment.seq,
            "due_on": instalment.due_on,
            "amount": min(unpaid, mandate.max_amount),
            "status": "scheduled",
        }
        stmt = insert_into(session, MandateDebitRecord).values(**values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["tenant_id", "loan_id", "instalment_seq"])
        inserted = session.execute(stmt.returning(MandateDebitRecord.id)).scalar_one_or_none()
        if inserted is not None:
            claimed.append(inserted)
    return claimed


def present_scheduled(session: Session, *, tenant: Tenant, gateway: PaymentGateway) -> int:
    """Present every ``scheduled`` debit at the gateway (its id as the receipt); return how many were presented.

    Safe to run twice at once: the gateway makes one debit per (token, receipt), and the move to
    ``presented`` is conditional (a webhook may have settled the debit already).
    """
    scheduled = list(
        session.execute(
            select_owned(MandateDebitRecord, tenant.id).where(MandateDebitRecord.status == "scheduled")
        ).scalars()
    )
    presented = 0
    for debit in scheduled:
        mandate = session.get_one(MandateRecord, debit.mandate_id)
        if mandate.status != "active":
            continue
        request = RecurringDebitCreate(
            token_id=mandate.gateway_token_id,
            amount=debit.amount,
            receipt=debit.id,
            description=f"EMI {debit.instalment_seq} of loan {debit.loan_id}",
            notes={"loan_id": debit.loan_id, "instalment": str(debit.instalment_seq)},
        )
        try:
            payment = gateway.create_recurring_debit(request)
        except GatewayError as exc:  # stays scheduled: the next run presents it again (same receipt)
            log.warning("debit %s of tenant %s not presented: %s (%s)", debit.id, tenant.id, exc.message, exc.code)
            continue
        moved = session.connection().execute(
            update(MandateDebitRecord)
            .where(MandateDebitRecord.id == debit.id, MandateDebitRecord.status == "scheduled")
            .values(status="presented", gateway_payment_id=payment.id, presented_at=utcnow())
        )
        presented += moved.rowcount
    return presented


def present_due(
    session: Session,
    *,
    tenant: Tenant,
    gateway: PaymentGateway,
    today: date | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Claim today's debits, commit the claim (``checkpoint``), then present what is scheduled."""
    claimed = claim_due(session, tenant=tenant, today=today or clock.today(tenant))
    session.flush()
    if checkpoint is not None:
        checkpoint()
    return {"claimed": len(claimed), "presented": present_scheduled(session, tenant=tenant, gateway=gateway)}


# -- results -----------------------------------------------------------------------------------------


def debit_for_payment(session: Session, *, tenant_id: str, payment: Payment) -> MandateDebitRecord | None:
    """Our debit a recurring gateway payment settles (by its receipt — our debit id — or its payment id)."""
    return debits_for_payments(session, tenant_id=tenant_id, payments=[payment]).get(payment.id)


def debits_for_payments(session: Session, *, tenant_id: str, payments: list[Payment]) -> dict[str, MandateDebitRecord]:
    """The debits recurring gateway payments settle, by gateway payment id (one query)."""
    if not payments:
        return {}
    by_receipt = {p.receipt: p.id for p in payments if p.receipt}
    match: ColumnElement[bool] = MandateDebitRecord.gateway_payment_id.in_(sorted(p.id for p in payments))
    if by_receipt:
        match = or_(match, MandateDebitRecord.id.in_(sorted(by_receipt)))
    found: dict[str, MandateDebitRecord] = {}
    for debit in session.execute(select_owned(MandateDebitRecord, tenant_id).where(match)).scalars():
        payment_id = by_receipt.get(debit.id) or debit.gateway_payment_id
        if payment_id is not None:
            found.setdefault(payment_id, debit)
    return found


def mark_paid(session: Session, settled: list[tuple[MandateDebitRecord, Payment]]) -> None:
    """Record that the debits were captured (their money is on the loans already); one statement for all."""
    if not settled:
        return
    session.connection().execute(
        update(MandateDebitRecord)
        .where(MandateDebitRecord.id == bindparam("debit_id"), MandateDebitRecord.status.not_in(SETTLED))
        .values(status="paid", gateway_payment_id=bindparam("payment_id"), settled_at=bindparam("at")),
        [{"debit_id": d.id, "payment_id": p.id, "at": utcnow()} for d, p in sorted(settled, key=lambda s: s[0].id)],
    )


def receive_bounce(session: Session, *, tenant: Tenant, event: WebhookEvent, payment: Payment) -> WebhookAck:
    """A recurring debit failed: the debit ``bounced`` with NPCI's reason, and the bounce charge levied once."""
    debit = debit_for_payment(session, tenant_id=tenant.id, payment=payment)
    if debit is None:
        log.warning("failed debit %s of tenant %s matches no mandate debit", payment.id, tenant.id)
        return WebhookAck(outcome="unmatched", gateway_payment_id=payment.id)
    bounced_at = datetime.fromtimestamp(event.created_at, UTC)
    won = session.connection().execute(
        update(MandateDebitRecord)
        .where(MandateDebitRecord.id == debit.id, MandateDebitRecord.status.not_in(SETTLED))
        .values(
            status="bounced",
            gateway_payment_id=payment.id,
            reason_code=payment.error_reason,
            reason=(payment.error_description or "")[:200] or None,
            settled_at=bounced_at,
        )
    )
    if won.rowcount != 1:
        return WebhookAck(outcome="duplicate", gateway_payment_id=payment.id)
    levied_on = max(clock.local(bounced_at, tenant).date(), debit.due_on)
    dayend.levy(
        session,
        tenant_id=tenant.id,
        loan_id=debit.loan_id,
        kind="bounce",
        amount=dayend.BOUNCE_CHARGE,
        levied_on=levied_on,
        reason=f"Mandate debit returned: {payment.error_reason or '?'} {payment.error_description or ''}".strip(),
        source=f"debit:{debit.id}",
    )
    session.expire(debit)
    return WebhookAck(outcome="bounced", gateway_payment_id=payment.id)
