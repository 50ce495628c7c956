"""Portfolio services: disburse, record payments, mark losses, read loans and the book's analytics.

Idempotency invariant: a payment ``reference`` is unique per tenant (a database constraint). Posting
the same reference again with the same loan, amount and date returns the stored payment and changes
nothing; with different details it is refused (409). So a retried NACH file or webhook never
counts money twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import insert_into, new_id, utcnow
from creditdesk.errors import AppError, Conflict, NotFound, ValidationFailed
from creditdesk.events import service as events
from creditdesk.events.schemas import EventType
from creditdesk.kit.crypto import pan_hashes, personal_data_box
from creditdesk.portfolio import analytics, reports
from creditdesk.portfolio.book import (
    ASSET_CLASS_LABELS,
    ASSET_CLASSES,
    NPA_CLASSES,
    Book,
    BookState,
    paise,
    rupees,
    to_date,
)
from creditdesk.portfolio.ledger import build_book, load_book
from creditdesk.portfolio.models import (
    CUSTOMER_IDENTITY,
    GUARANTOR_IDENTITY,
    Charge,
    Collateral,
    Customer,
    Guarantor,
    Instalment,
    Loan,
    Payment,
    open_identity,
    seal_identity,
)
from creditdesk.portfolio.schedule import add_months, amortisation_schedule, dti, lti, ltv, money, month_key
from creditdesk.portfolio.schemas import CollateralIn, CustomerIn, GuarantorIn, LoanCreate, PaymentCreate
from creditdesk.scoring.models import Application, join_identity
from creditdesk.scoring.models import open_identity as open_applicant
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, scoped, select_owned

# --------------------------------------------------------------------------------------------------
# disbursal


def find_customer(session: Session, *, tenant_id: str, pan: str) -> Customer | None:
    """The tenant's customer with this PAN, found by its keyed hash (PANs are not stored in clear)."""
    hashes = pan_hashes(personal_data_box(), tenant_id, pan)
    stmt = select_owned(Customer, tenant_id).where(Customer.pan_hash.in_(hashes)).order_by(Customer.created_at)
    return session.execute(stmt.limit(1)).scalars().first()


def _with_sealed_identity(
    table: str, tenant_id: str, data: CustomerIn | GuarantorIn, fields: tuple[str, ...]
) -> dict[str, Any]:
    """A new row's id and columns, its identifying ``fields`` sealed to (table, tenant, id)."""
    row_id = new_id()
    values = data.model_dump()
    sealed = seal_identity(
        personal_data_box(), table=table, tenant_id=tenant_id, row_id=row_id, values=values, fields=fields
    )
    return {"id": row_id, "tenant_id": tenant_id, **sealed}


def _customer(session: Session, *, tenant_id: str, data: CustomerIn) -> Customer:
    if data.pan:
        existing = find_customer(session, tenant_id=tenant_id, pan=data.pan)
        if existing is not None:
            return existing
    customer = Customer(**_with_sealed_identity("customer", tenant_id, data, CUSTOMER_IDENTITY))
    session.add(customer)
    session.flush()
    return customer


def _guarantor(tenant_id: str, loan_id: str, data: GuarantorIn) -> Guarantor:
    return Guarantor(loan_id=loan_id, **_with_sealed_identity("guarantor", tenant_id, data, GUARANTOR_IDENTITY))


def _guarantor_read(guarantor: Guarantor) -> dict[str, Any]:
    identity = open_identity(personal_data_box(), guarantor)
    return {
        "id": guarantor.id,
        "name": identity.get("name", ""),
        "relationship": guarantor.relationship,
        "phone": identity.get("phone"),
        "monthly_income": guarantor.monthly_income,
    }


def _application_customer(application: Application) -> CustomerIn | None:
    """The borrower of an application: its applicant block with the sealed identity put back."""
    request = join_identity(application.request, open_applicant(personal_data_box(), application))
    applicant = (request or {}).get("applicant")
    if not applicant:
        return None
    keep = set(CustomerIn.model_fields)
    return CustomerIn.model_validate({k: v for k, v in applicant.items() if k in keep and v is not None})


@dataclass(frozen=True)
class LoanSpec:
    """What a disbursal asks for: the loan's terms, its borrower and security, and the application it comes from.

    Built from the API body (:meth:`from_request`); a loan disbursed from an application takes the
    application's PD, model, borrower, purpose and reference where the request leaves them out.
    """

    principal: Decimal
    annual_rate_pct: Decimal
    tenure_months: int
    disbursed_on: date
    customer: CustomerIn | None = None
    application_id: str | None = None
    first_due_on: date | None = None
    pd_at_origination: float | None = None
    external_ref: str | None = None
    purpose: str | None = None
    collateral: tuple[CollateralIn, ...] = ()
    guarantors: tuple[GuarantorIn, ...] = ()
    model_id: str | None = None
    model_version: int | None = None

    @classmethod
    def from_request(cls, data: LoanCreate) -> LoanSpec:
        """The spec of a ``POST …/portfolio/loans`` body (every field of the body is a field of the spec)."""
        terms = {name: getattr(data, name) for name in LoanCreate.model_fields}
        return cls(**{**terms, "collateral": tuple(data.collateral), "guarantors": tuple(data.guarantors)})


def disburse(session: Session, *, tenant_id: str, spec: LoanSpec, actor: Any = None) -> Loan:
    """Create a loan with its amortisation schedule; from an approved application when the spec names one.

    The application must exist in the tenant (404) and be approved (409); its PD, model and version
    are carried onto the loan. A second disbursal of one application is refused (409).
    """
    spec = _with_application(session, tenant_id=tenant_id, spec=spec)
    if spec.customer is None:
        raise ValidationFailed("customer is required when the loan is not disbursed from an application")
    borrower = _customer(session, tenant_id=tenant_id, data=spec.customer)
    loan = _open_loan(session, tenant_id=tenant_id, spec=spec, customer_id=borrower.id, actor=actor)
    terms = {"principal": str(loan.principal), "application_id": loan.application_id}
    _ledger_changed(
        session,
        loan=loan,
        event="loan.disbursed",
        payload={**terms, "disbursed_on": loan.disbursed_on.isoformat()},
        action="loan.disbursed",
        details={**terms, "tenure_months": loan.tenure_months},
        actor=actor,
    )
    return loan


def _with_application(session: Session, *, tenant_id: str, spec: LoanSpec) -> LoanSpec:
    """Check the spec's application may be disbursed and fill in what the loan takes from it."""
    if spec.application_id is None:
        return spec
    if session.execute(select_owned(Loan, tenant_id).where(Loan.application_id == spec.application_id)).first():
        raise Conflict(f"Application {spec.application_id} has already been disbursed")
    application = get_owned(
        session, Application, spec.application_id, tenant_id, what=f"Application {spec.application_id}"
    )
    if application.decision != "Approve":
        raise Conflict(f"Application {spec.application_id} was not approved ({application.decision})")
    return replace(
        spec,
        pd_at_origination=spec.pd_at_origination if spec.pd_at_origination is not None else application.pd,
        model_id=application.model_id,
        model_version=application.model_version,
        customer=spec.customer or _application_customer(application),
        purpose=spec.purpose or (application.request.get("loan") or {}).get("purpose"),
        external_ref=spec.external_ref or application.external_ref,
    )


def _open_loan(session: Session, *, tenant_id: str, spec: LoanSpec, customer_id: str, actor: Any) -> Loan:
    """Store the loan, its schedule, collateral and guarantors."""
    first_due = spec.first_due_on or add_months(spec.disbursed_on, 1)
    schedule = amortisation_schedule(spec.principal, spec.annual_rate_pct, spec.tenure_months, first_due)
    loan = Loan(
        tenant_id=tenant_id,
        customer_id=customer_id,
        application_id=spec.application_id,
        external_ref=spec.external_ref,
        purpose=spec.purpose,
        principal=money(spec.principal),
        annual_rate_pct=Decimal(str(spec.annual_rate_pct)),
        tenure_months=spec.tenure_months,
        emi=schedule[0].amount,
        disbursed_on=spec.disbursed_on,
        first_due_on=first_due,
        maturity_on=schedule[-1].due_on,
        pd_at_origination=spec.pd_at_origination,
        model_id=spec.model_id,
        model_version=spec.model_version,
        created_by=getattr(actor, "id", None),
    )
    session.add(loan)
    session.flush()
    session.add_all(Instalment(tenant_id=tenant_id, loan_id=loan.id, **r.columns()) for r in schedule)
    session.add_all(Collateral(tenant_id=tenant_id, loan_id=loan.id, **c.model_dump()) for c in spec.collateral)
    session.add_all(_guarantor(tenant_id, loan.id, g) for g in spec.guarantors)
    session.flush()
    return loan


def _ledger_changed(
    session: Session,
    *,
    loan: Loan,
    event: EventType | None,
    payload: dict[str, Any],
    action: str,
    details: dict[str, Any],
    actor: Any,
) -> None:
    """After a write to the loan's ledger: rebuild the reports once it commits, emit ``event``, audit ``action``.

    A disbursal made by the platform itself (no actor) is not audited; its event is still emitted.
    """
    reports.refresh_after_commit(session, tenant_id=loan.tenant_id)
    if event is not None:
        events.emit(session, tenant=loan.tenant_id, type=event, data={"loan_id": loan.id, **payload})
    if actor is not None:
        audit.record(
            session,
            actor=actor,
            action=action,
            tenant_id=loan.tenant_id,
            resource_type="loan",
            resource_id=loan.id,
            details=details,
            shard_key=loan.id,  # ledger writes spread over the tenant's audit sub-chains; one loan's stay in order
        )


def disburse_from_request(session: Session, *, tenant: Tenant, data: LoanCreate, actor: Any) -> dict[str, Any]:
    """Disburse a loan described by the API body and return its detail."""
    if data.disbursed_on > clock.today(tenant):
        raise ValidationFailed("disbursed_on cannot be in the future")
    loan = disburse(session, tenant_id=tenant.id, spec=LoanSpec.from_request(data), actor=actor)
    return loan_detail(session, tenant=tenant, loan_id=loan.id, as_of=None)


# --------------------------------------------------------------------------------------------------
# payments


@dataclass
class PaymentOutcome:
    payment: Payment
    replayed: bool


def _same_payment(existing: Payment, loan_id: str, data: PaymentCreate) -> bool:
    return (
        existing.loan_id == loan_id
        and money(existing.amount) == money(data.amount)
        and existing.paid_on == data.paid_on
    )


def record_payment(
    session: Session, *, tenant: Tenant, loan_id: str, data: PaymentCreate, actor: Any
) -> PaymentOutcome:
    """Record a payment once per reference; a replay returns the stored payment and counts nothing."""
    (outcome,) = record_payments(session, tenant=tenant, items=[(loan_id, data)], actor=actor)
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


def record_payments(
    session: Session, *, tenant: Tenant, items: Sequence[tuple[str, PaymentCreate]], actor: Any
) -> list[PaymentOutcome | AppError]:
    """Record many payments of one tenant in the caller's transaction, each once per reference.

    One outcome per item, in order: the new payment, a replay of its reference (the stored payment,
    nothing counted), or the error that refuses it (404 loan, 409 reference used for another payment,
    422 date or amount) — a refused item writes nothing and does not stop the others.

    A constant number of statements however many items: the loans, locked in id order (a loan's
    payments are checked one transaction at a time; two batches never wait on each other in a cycle),
    with what is due and paid on each; the references already used; one insert-or-nothing of the new
    payments; then the loans, the outbox events and the audit entries in bulk.
    """
    if not items:
        return []
    loans = _loans_with_amounts(session, tenant_id=tenant.id, loan_ids={loan_id for loan_id, _ in items})
    stored = _payments_by_reference(session, tenant_id=tenant.id, references={d.reference for _, d in items})
    outcomes: list[PaymentOutcome | AppError] = []
    fresh: dict[str, Payment] = {}
    for loan_id, data in items:
        earlier = stored.get(data.reference) or fresh.get(data.reference)
        if earlier is not None:
            outcomes.append(_replay_or_conflict(earlier, loan_id, data))
            continue
        account = _payable(tenant, loans.get(loan_id), data)
        if isinstance(account, AppError):
            outcomes.append(account)
            continue
        payment = Payment(
            id=new_id(),
            created_at=utcnow(),
            tenant_id=tenant.id,
            loan_id=loan_id,
            reference=data.reference,
            amount=money(data.amount),
            paid_on=data.paid_on,
            channel=data.channel,
            created_by=getattr(actor, "id", None),
        )
        account.paid += payment.amount
        fresh[data.reference] = payment
        outcomes.append(PaymentOutcome(payment=payment, replayed=False))
    written = _insert_payments(session, list(fresh.values()))
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, PaymentOutcome) and not outcome.replayed and outcome.payment.id not in written:
            # a concurrent transaction stored the same reference first (its commit is visible now)
            (loan_id, data) = items[i]
            again = session.execute(_with_reference(tenant.id, data.reference)).scalar_one()
            outcomes[i] = _replay_or_conflict(again, loan_id, data)
    new = [o.payment for o in outcomes if isinstance(o, PaymentOutcome) and not o.replayed and o.payment.id in written]
    for payment in new:
        account = loans[payment.loan_id]
        account.loan.updated_at = utcnow()
        if account.paid_written + payment.amount >= account.total_due:
            account.loan.status = "closed"
            account.loan.closed_on = max(payment.paid_on, account.loan.closed_on or payment.paid_on)
        account.paid_written += payment.amount
    _payments_changed(session, tenant_id=tenant.id, payments=new, actor=actor)
    return outcomes


@dataclass
class _Account:
    """A loan with what is payable on it (instalments and charges) and what has been paid, as the batch goes."""

    loan: Loan
    total_due: Decimal
    paid: Decimal
    paid_written: Decimal


def _loans_with_amounts(session: Session, *, tenant_id: str, loan_ids: set[str]) -> dict[str, _Account]:
    """The loans, locked for this transaction in id order, each with its total due and paid so far (one query)."""
    due = scoped(select(func.coalesce(func.sum(Instalment.amount), 0)), Instalment, tenant_id)
    charged = scoped(select(func.coalesce(func.sum(Charge.amount), 0)), Charge, tenant_id)
    paid = scoped(select(func.coalesce(func.sum(Payment.amount), 0)), Payment, tenant_id)
    stmt = (
        select_owned(Loan, tenant_id)
        .add_columns(
            due.where(Instalment.loan_id == Loan.id).scalar_subquery(),
            # charges levied are payable too (never capitalised: they stay in their own ledger)
            charged.where(Charge.loan_id == Loan.id).scalar_subquery(),
            paid.where(Payment.loan_id == Loan.id).scalar_subquery(),
        )
        .where(Loan.id.in_(sorted(loan_ids)))
        .order_by(Loan.id)
        .with_for_update(of=Loan)
    )
    accounts = {}
    for loan, instalments, charges, paid_so_far in session.execute(stmt):
        so_far = money(paid_so_far)
        accounts[loan.id] = _Account(loan, money(instalments) + money(charges), so_far, so_far)
    return accounts


def _payments_by_reference(session: Session, *, tenant_id: str, references: set[str]) -> dict[str, Payment]:
    stmt = select_owned(Payment, tenant_id).where(Payment.reference.in_(sorted(references)))
    return {p.reference: p for p in session.execute(stmt).scalars()}


def _payable(tenant: Tenant, account: _Account | None, data: PaymentCreate) -> _Account | AppError:
    """The loan's account if the payment may be recorded on it, else why not (no such loan, dated outside
    its life, above what remains)."""
    if account is None:
        return NotFound("Loan not found")
    if data.paid_on < account.loan.disbursed_on:
        return ValidationFailed("paid_on is before the loan was disbursed")
    if data.paid_on > clock.today(tenant):
        return ValidationFailed("paid_on cannot be in the future")
    remaining = account.total_due - account.paid
    if money(data.amount) > remaining:
        return ValidationFailed(f"amount exceeds what remains payable on the loan ({remaining})")
    return account


#: the columns of a payment row (each given by us: the batch insert returns only the ids it wrote)
_PAYMENT_COLUMNS = (
    "id",
    "created_at",
    "tenant_id",
    "loan_id",
    "reference",
    "amount",
    "paid_on",
    "channel",
    "created_by",
)


def _insert_payments(session: Session, payments: list[Payment]) -> set[str]:
    """Insert the payments unless their reference exists (one statement); the ids of those inserted."""
    if not payments:
        return set()
    rows = [
        {column: getattr(p, column) for column in _PAYMENT_COLUMNS}
        for p in sorted(payments, key=lambda p: p.reference)  # one order for every writer: no lock cycles
    ]
    table: Any = Payment.__table__
    stmt = insert_into(session, table).on_conflict_do_nothing(index_elements=["tenant_id", "reference"])
    return set(session.connection().execute(stmt.returning(table.c.id), rows).scalars())


def _payments_changed(session: Session, *, tenant_id: str, payments: list[Payment], actor: Any) -> None:
    """After payments are written: rebuild the reports once this commits, emit ``payment.received`` for each,
    audit each on its loan's sub-chain (one bulk append; a payment the platform records for itself is not audited)."""
    if not payments:
        return
    reports.refresh_after_commit(session, tenant_id=tenant_id)
    facts = [{"reference": p.reference, "amount": str(p.amount), "paid_on": p.paid_on.isoformat()} for p in payments]
    events.emit_many(
        session,
        [
            events.event_row(
                tenant=tenant_id,
                type="payment.received",
                data={"loan_id": p.loan_id, "payment_id": p.id, "channel": p.channel, **f},
            )
            for p, f in zip(payments, facts, strict=True)
        ],
    )
    if actor is not None:
        audit.append_many(
            session,
            [
                audit.PendingEvent(
                    actor=actor,
                    action="payment.recorded",
                    tenant_id=tenant_id,
                    resource_type="loan",
                    resource_id=p.loan_id,
                    details=f,
                    shard_key=p.loan_id,  # one loan's ledger entries stay in order on one sub-chain
                )
                for p, f in zip(payments, facts, strict=True)
            ],
        )


def _with_reference(tenant_id: str, reference: str) -> Select[Payment]:
    return select_owned(Payment, tenant_id).where(Payment.reference == reference)


def _replay_or_conflict(existing: Payment, loan_id: str, data: PaymentCreate) -> PaymentOutcome | AppError:
    if not _same_payment(existing, loan_id, data):
        return Conflict(f"Payment reference '{data.reference}' was already used for a different payment")
    return PaymentOutcome(payment=existing, replayed=True)


def mark_loss(session: Session, *, tenant: Tenant, loan_id: str, marked_on: date, actor: Any) -> dict[str, Any]:
    """Mark an NPA loan as a Loss asset from ``marked_on`` (the lender's or auditor's decision)."""
    loan = get_owned(session, Loan, loan_id, tenant.id, what="Loan")
    if marked_on > clock.today(tenant) or marked_on < loan.disbursed_on:
        raise ValidationFailed("marked_on must lie between disbursal and today")
    book = build_book(session, tenant_id=tenant.id, loan_ids=[loan.id])
    state = book.state(marked_on)
    if not state.npa[0]:
        raise Conflict("Only a non-performing (NPA) loan can be marked as a Loss asset")
    loan.loss_marked_on = marked_on
    loan.updated_at = utcnow()
    _ledger_changed(
        session,
        loan=loan,
        event=None,
        payload={},
        action="loan.loss_marked",
        details={"marked_on": marked_on.isoformat()},
        actor=actor,
    )
    session.flush()
    return loan_detail(session, tenant=tenant, loan_id=loan.id, as_of=None)


# --------------------------------------------------------------------------------------------------
# reading loans


def _position(book: Book, state: BookState, i: int, as_of: date) -> dict[str, Any]:
    cls = int(state.asset_class[i])
    name = ASSET_CLASSES[cls] if cls >= 0 else None
    status = "closed" if state.closed[i] else "active"
    if not state.disbursed[i]:
        status = "not_disbursed"
    return {
        "as_of": as_of,
        "status": status,
        "dpd": int(state.dpd[i]),
        "asset_class": name,
        "asset_class_label": ASSET_CLASS_LABELS[name] if name else None,
        "npa_since": to_date(int(state.npa_since[i])) if name in NPA_CLASSES else None,
        "outstanding_principal": rupees(state.outstanding[i]),
        "overdue_amount": rupees(state.arrears[i]),
        "paid_amount": rupees(state.paid[i]),
    }


def _loan_read(loan: Loan, customer_name: str, position: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": loan.id,
        "external_ref": loan.external_ref,
        "application_id": loan.application_id,
        "customer_id": loan.customer_id,
        "customer_name": customer_name,
        "purpose": loan.purpose,
        "principal": loan.principal,
        "annual_rate_pct": loan.annual_rate_pct,
        "tenure_months": loan.tenure_months,
        "emi": loan.emi,
        "disbursed_on": loan.disbursed_on,
        "first_due_on": loan.first_due_on,
        "maturity_on": loan.maturity_on,
        "pd_at_origination": loan.pd_at_origination,
        "model_id": loan.model_id,
        "model_version": loan.model_version,
        "created_at": loan.created_at,
        "closed_on": loan.closed_on,
        "loss_marked_on": loan.loss_marked_on,
        **position,
    }


def list_loans(
    session: Session,
    *,
    tenant: Tenant,
    as_of: date | None,
    status: str | None,
    asset_class: str | None,
    origination_month: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Return one page of loans (newest disbursal first) with their position as of a date."""
    as_of = as_of or clock.today(tenant)
    book = load_book(session, tenant_id=tenant.id)
    state = book.state(as_of)
    mask = state.disbursed.copy()
    if status == "active":
        mask &= state.active
    elif status == "closed":
        mask &= state.closed
    if asset_class == "npa":
        mask &= state.npa
    elif asset_class == "sma":
        mask &= np.isin(state.asset_class, [1, 2, 3])
    elif asset_class is not None:
        mask &= state.asset_class == ASSET_CLASSES.index(asset_class)
    if origination_month is not None:
        months = np.array([month_key(date.fromordinal(d)) for d in book.disbursed_on.tolist()])
        mask &= months == origination_month
    idx = np.flatnonzero(mask)
    idx = idx[np.lexsort((np.array(book.ids, dtype=object)[idx].astype(str), -book.disbursed_on[idx]))]
    page = idx[offset : offset + limit].tolist()
    ids = [book.ids[i] for i in page]
    box = personal_data_box()
    rows = (
        {
            loan.id: (loan, open_identity(box, customer).get("name", ""))
            for loan, customer in session.execute(
                select_owned(Loan, tenant.id)
                .add_columns(Customer)
                .join(Customer, Customer.id == Loan.customer_id)
                .where(Loan.id.in_(ids))
            ).tuples()
        }
        if ids
        else {}
    )
    items = [_loan_read(*rows[book.ids[i]], _position(book, state, i, as_of)) for i in page if book.ids[i] in rows]
    return {"items": items, "total": len(idx), "limit": limit, "offset": offset}


def loan_detail(session: Session, *, tenant: Tenant, loan_id: str, as_of: date | None) -> dict[str, Any]:
    """Return one loan with its schedule (and what is paid of each instalment), payments, security and ratios."""
    as_of = as_of or clock.today(tenant)
    loan = get_owned(session, Loan, loan_id, tenant.id, what="Loan")
    customer = session.get(Customer, loan.customer_id)
    book = build_book(session, tenant_id=tenant.id, loan_ids=[loan.id])
    state = book.state(as_of)
    instalments = list(
        session.execute(
            select_owned(Instalment, tenant.id).where(Instalment.loan_id == loan.id).order_by(Instalment.seq)
        ).scalars()
    )
    payments = list(
        session.execute(
            select_owned(Payment, tenant.id)
            .where(Payment.loan_id == loan.id)
            .order_by(Payment.paid_on, Payment.created_at)
        ).scalars()
    )
    collateral = list(
        session.execute(select_owned(Collateral, tenant.id).where(Collateral.loan_id == loan.id)).scalars()
    )
    guarantors = list(session.execute(select_owned(Guarantor, tenant.id).where(Guarantor.loan_id == loan.id)).scalars())
    security = sum((c.value for c in collateral), Decimal(0))
    income = customer.monthly_income if customer else None
    return {
        **_loan_read(
            loan,
            open_identity(personal_data_box(), customer).get("name", "") if customer else "",
            _position(book, state, 0, as_of),
        ),
        "ratios": {
            "emi": loan.emi,
            "dti": dti(monthly_income=income, existing_emi=customer.existing_emi if customer else 0, new_emi=loan.emi),
            "lti": lti(loan_amount=loan.principal, monthly_income=income),
            "ltv": ltv(loan_amount=loan.principal, collateral_value=security) if collateral else None,
        },
        "schedule": _schedule_status(instalments, [p for p in payments if p.paid_on <= as_of], as_of),
        "payments": [p for p in payments if p.paid_on <= as_of],
        "collateral": collateral,
        "guarantors": [_guarantor_read(g) for g in guarantors],
    }


def _schedule_status(instalments: list[Instalment], payments: list[Payment], as_of: date) -> list[dict[str, Any]]:
    """Allocate payments to instalments oldest first; return each instalment's paid amount and status."""
    events = [(p.paid_on, paise(p.amount)) for p in payments]
    total_paid = sum(amount for _, amount in events)
    out = []
    cum_before = 0
    for inst in instalments:
        amount = paise(inst.amount)
        covered = min(max(total_paid - cum_before, 0), amount)
        paid_on = None
        if covered == amount:
            running = 0
            for day, value in events:
                running += value
                if running >= cum_before + amount:
                    paid_on = day
                    break
        if covered == amount:
            status = "paid"
        elif inst.due_on <= as_of:  # unpaid at its due date's day-end: overdue, as the book counts DPD
            status = "overdue"
        elif covered > 0:
            status = "part_paid"
        elif inst.due_on == as_of or inst.due_on <= add_months(as_of, 1):
            status = "due"
        else:
            status = "upcoming"
        out.append(
            {
                "seq": inst.seq,
                "due_on": inst.due_on,
                "principal": inst.principal,
                "interest": inst.interest,
                "amount": inst.amount,
                "closing_balance": inst.closing_balance,
                "paid_amount": rupees(covered),
                "status": status,
                "paid_on": paid_on,
            }
        )
        cum_before += amount
    return out


def loan_history(session: Session, *, tenant: Tenant, loan_id: str, as_of: date | None) -> dict[str, Any]:
    """Return the loan's DPD and asset class at each month end from disbursal to ``as_of`` (recomputed)."""
    as_of = as_of or clock.today(tenant)
    loan = get_owned(session, Loan, loan_id, tenant.id, what="Loan")
    book = build_book(session, tenant_id=tenant.id, loan_ids=[loan.id])
    points = []
    for point in analytics.month_ends(book, as_of, 600):
        st = book.state(point)
        cls = int(st.asset_class[0])
        points.append(
            {
                "as_of": point,
                "dpd": int(st.dpd[0]),
                "asset_class": ASSET_CLASSES[cls] if cls >= 0 else None,
                "outstanding_principal": rupees(st.outstanding[0]),
                "overdue_amount": rupees(st.arrears[0]),
            }
        )
    return {"loan_id": loan.id, "points": points}
