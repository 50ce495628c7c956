"""Portfolio services: disburse, record payments, mark losses, read loans and the book's analytics.

Idempotency invariant: a payment ``reference`` is unique per tenant (a database constraint). Posting
the same reference again with the same loan, amount and date returns the stored payment and changes
nothing; with different details it is refused (409). So a retried NACH file or webhook never
counts money twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, String, cast, func, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import new_id, utcnow
from creditdesk.errors import Conflict, NotFound, ValidationFailed
from creditdesk.kit.crypto import pan_hashes, personal_data_box
from creditdesk.portfolio import analytics
from creditdesk.portfolio.book import (
    ASSET_CLASS_LABELS,
    ASSET_CLASSES,
    NEVER,
    NPA_CLASSES,
    Book,
    paise,
    rupees,
    to_date,
)
from creditdesk.portfolio.models import (
    CUSTOMER_IDENTITY,
    GUARANTOR_IDENTITY,
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
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, scoped, select_owned
from creditdesk.worker import service as jobs

# --------------------------------------------------------------------------------------------------
# dates


def tenant_today(tenant: Tenant | None) -> date:
    """Return today's date in the tenant's time zone (see ``tenancy.clock``)."""
    return clock.today(tenant)


# --------------------------------------------------------------------------------------------------
# the book, cached per tenant and ledger version
#
# Freshness invariant: the book (and every report cached on it, see ``reports.py``) is keyed by the
# tenant's *ledger version* — the count and latest change of its loans and payments, read on every
# request. A new loan, payment or loss mark changes the version, so the very next read rebuilds:
# nothing stale is ever served. Builds are single-flight per tenant: concurrent first readers wait for
# one build instead of each building their own.


_BOOK_CACHE: OrderedDict[tuple[Any, ...], Book] = OrderedDict()
_BOOK_LOCK = threading.Lock()
_BUILD_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_BOOK_CACHE_SIZE = 16


def ledger_version(session: Session, *, tenant_id: str) -> tuple[Any, ...]:
    """Return what identifies the state of the tenant's ledger (changes with any loan or payment write)."""
    loans = session.execute(scoped(select(func.count(Loan.id), func.max(Loan.updated_at)), Loan, tenant_id)).one()
    pays = session.execute(
        scoped(select(func.count(Payment.id), func.max(Payment.created_at)), Payment, tenant_id)
    ).one()
    return (str(session.get_bind().url), tenant_id, *loans, *pays)


def load_book(session: Session, *, tenant_id: str, version: tuple[Any, ...] | None = None) -> Book:
    """Return the tenant's book, rebuilt only when a loan or payment changed since the last build."""
    key = version or ledger_version(session, tenant_id=tenant_id)
    with _BOOK_LOCK:
        cached = _BOOK_CACHE.get(key)
        if cached is not None:
            _BOOK_CACHE.move_to_end(key)
            return cached
        build_lock = _BUILD_LOCKS.setdefault(key[:2], threading.Lock())
    with build_lock:  # one build per tenant at a time; the others wait and take its result
        with _BOOK_LOCK:
            cached = _BOOK_CACHE.get(key)
        if cached is not None:
            return cached
        book = _build_book(session, tenant_id=tenant_id)
        with _BOOK_LOCK:
            _BOOK_CACHE[key] = book
            while len(_BOOK_CACHE) > _BOOK_CACHE_SIZE:
                _BOOK_CACHE.popitem(last=False)
    return book


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _refresh_reports(session: Session, *, tenant_id: str) -> None:
    """Start rebuilding the tenant's cached reports as soon as this ledger write commits."""
    from creditdesk.portfolio import reports  # reports builds on this module

    reports.refresh_after_commit(session, tenant_id=tenant_id)


def _days(values: list[Any]) -> np.ndarray:
    """Return dates (``date`` objects or ISO strings, as the driver hands them over) as ordinal days."""
    if not values:
        return np.zeros(0, dtype=np.int64)
    days = np.array(values, dtype="datetime64[D]")
    return np.where(np.isnat(days), NEVER, days.astype(np.int64) + _EPOCH_ORDINAL)


def _raw_date(column: Any) -> Any:
    """Dates as the driver returns them (numpy parses them in one go, not one Python date per row)."""
    return type_coerce(column, String)


def _paise_column(column: Any) -> Any:
    """Amounts leave the database as integer paise (exact, and no Decimal per row)."""
    return cast(func.round(column * 100), BigInteger)


def _build_book(session: Session, *, tenant_id: str, loan_ids: list[str] | None = None) -> Book:
    secured_q = scoped(select(Collateral.loan_id).distinct(), Collateral, tenant_id)
    loan_q = scoped(
        select(Loan.id, Loan.disbursed_on, _paise_column(Loan.principal), Loan.pd_at_origination, Loan.loss_marked_on),
        Loan,
        tenant_id,
    ).order_by(Loan.disbursed_on, Loan.id)
    inst_q = scoped(
        select(
            Instalment.loan_id,
            Instalment.seq,
            _raw_date(Instalment.due_on),
            _paise_column(Instalment.amount),
            _paise_column(Instalment.interest),
            _paise_column(Instalment.principal),
        ),
        Instalment,
        tenant_id,
    )
    pay_q = scoped(
        select(Payment.loan_id, _raw_date(Payment.paid_on), _paise_column(Payment.amount)), Payment, tenant_id
    )
    if loan_ids is not None:
        secured_q = secured_q.where(Collateral.loan_id.in_(loan_ids))
        loan_q = loan_q.where(Loan.id.in_(loan_ids))
        inst_q = inst_q.where(Instalment.loan_id.in_(loan_ids))
        pay_q = pay_q.where(Payment.loan_id.in_(loan_ids))
    conn = session.connection()  # Core rows: the ORM's per-row loading would cost more than the book itself
    secured = set(conn.execute(secured_q).scalars())
    loans = conn.execute(loan_q).all()
    ids = [r[0] for r in loans]
    index = {loan_id: i for i, loan_id in enumerate(ids)}
    inst = [r for r in conn.execute(inst_q).all() if r[0] in index]
    pays = [r for r in conn.execute(pay_q).all() if r[0] in index]
    inst_arr = np.empty((len(inst), 6), dtype=np.int64)
    if inst:
        inst_arr[:, 0] = [index[r[0]] for r in inst]
        inst_arr[:, 1] = [r[1] for r in inst]
        inst_arr[:, 2] = _days([r[2] for r in inst])
        inst_arr[:, 3:6] = np.array([r[3:6] for r in inst], dtype=np.int64)
    pay_arr = np.empty((len(pays), 3), dtype=np.int64)
    if pays:
        pay_arr[:, 0] = [index[r[0]] for r in pays]
        pay_arr[:, 1] = _days([r[1] for r in pays])
        pay_arr[:, 2] = [r[2] for r in pays]
    return Book.from_arrays(
        ids=ids,
        disbursed_on=_days([r[1] for r in loans]),
        principal=np.array([r[2] for r in loans], dtype=np.int64),
        pd=np.array([np.nan if r[3] is None else float(r[3]) for r in loans], dtype=float),
        loss_on=_days([r[4] for r in loans]),
        secured=np.array([r[0] in secured for r in loans], dtype=bool),
        instalments=inst_arr,
        payments=pay_arr,
    )


# --------------------------------------------------------------------------------------------------
# disbursal


def find_customer(session: Session, *, tenant_id: str, pan: str) -> Customer | None:
    """The tenant's customer with this PAN, found by its keyed hash (PANs are not stored in clear)."""
    hashes = pan_hashes(personal_data_box(), tenant_id, pan)
    stmt = select_owned(Customer, tenant_id).where(Customer.pan_hash.in_(hashes)).order_by(Customer.created_at)
    return session.execute(stmt.limit(1)).scalars().first()


def _customer(session: Session, *, tenant_id: str, data: CustomerIn) -> Customer:
    if data.pan:
        existing = find_customer(session, tenant_id=tenant_id, pan=data.pan)
        if existing is not None:
            return existing
    customer_id = new_id()
    columns = seal_identity(
        personal_data_box(),
        table="customer",
        tenant_id=tenant_id,
        row_id=customer_id,
        values=data.model_dump(),
        fields=CUSTOMER_IDENTITY,
    )
    customer = Customer(id=customer_id, tenant_id=tenant_id, **columns)
    session.add(customer)
    session.flush()
    return customer


def _guarantor(tenant_id: str, loan_id: str, data: GuarantorIn) -> Guarantor:
    guarantor_id = new_id()
    columns = seal_identity(
        personal_data_box(),
        table="guarantor",
        tenant_id=tenant_id,
        row_id=guarantor_id,
        values=data.model_dump(),
        fields=GUARANTOR_IDENTITY,
    )
    return Guarantor(id=guarantor_id, tenant_id=tenant_id, loan_id=loan_id, **columns)


def _guarantor_read(guarantor: Guarantor) -> dict[str, Any]:
    identity = open_identity(personal_data_box(), guarantor)
    return {
        "id": guarantor.id,
        "name": identity.get("name", ""),
        "relationship": guarantor.relationship,
        "phone": identity.get("phone"),
        "monthly_income": guarantor.monthly_income,
    }


def _application_customer(application: Any) -> CustomerIn | None:
    """The borrower of an application: its applicant block with the sealed identity put back."""
    from creditdesk.scoring.models import join_identity
    from creditdesk.scoring.models import open_identity as open_applicant

    request = join_identity(getattr(application, "request", None), open_applicant(personal_data_box(), application))
    applicant = (request or {}).get("applicant")
    if not applicant:
        return None
    keep = set(CustomerIn.model_fields)
    return CustomerIn.model_validate({k: v for k, v in applicant.items() if k in keep and v is not None})


def disburse(
    session: Session,
    *,
    tenant_id: str,
    principal: Decimal,
    annual_rate_pct: Decimal,
    tenure_months: int,
    disbursed_on: date,
    customer: CustomerIn | None,
    application_id: str | None = None,
    first_due_on: date | None = None,
    pd_at_origination: float | None = None,
    external_ref: str | None = None,
    purpose: str | None = None,
    collateral: list[CollateralIn] | tuple[()] = (),
    guarantors: list[GuarantorIn] | tuple[()] = (),
    actor: Any = None,
) -> Loan:
    """Create a loan with its amortisation schedule; from an approved application when one is named.

    With ``application_id`` (and the scoring tables present) the application must exist in the tenant
    and be approved; its PD, model and version are carried onto the loan. A second disbursal of one
    application is refused (409).
    """
    model_id = model_version = None
    if application_id is not None:
        from creditdesk.monitoring import repository

        if session.execute(select_owned(Loan, tenant_id).where(Loan.application_id == application_id)).first():
            raise Conflict(f"Application {application_id} has already been disbursed")
        application = repository.get_application(session, tenant_id=tenant_id, application_id=application_id)
        if application is not None:
            if getattr(application, "decision", None) not in (None, "Approve"):
                raise Conflict(f"Application {application_id} was not approved ({application.decision})")
            pd_at_origination = pd_at_origination if pd_at_origination is not None else application.pd
            model_id, model_version = application.model_id, application.model_version
            customer = customer or _application_customer(application)
            purpose = purpose or ((application.request or {}).get("loan") or {}).get("purpose")
            external_ref = external_ref or application.external_ref
        elif repository.scoring_available(session):
            raise NotFound(f"Application {application_id} not found")
    if customer is None:
        raise ValidationFailed("customer is required when the loan is not disbursed from an application")
    first_due = first_due_on or add_months(disbursed_on, 1)
    schedule = amortisation_schedule(principal, annual_rate_pct, tenure_months, first_due)
    borrower = _customer(session, tenant_id=tenant_id, data=customer)
    loan = Loan(
        tenant_id=tenant_id,
        customer_id=borrower.id,
        application_id=application_id,
        external_ref=external_ref,
        purpose=purpose,
        principal=money(principal),
        annual_rate_pct=Decimal(str(annual_rate_pct)),
        tenure_months=tenure_months,
        emi=schedule[0].amount,
        disbursed_on=disbursed_on,
        first_due_on=first_due,
        maturity_on=schedule[-1].due_on,
        pd_at_origination=pd_at_origination,
        model_id=model_id,
        model_version=model_version,
        created_by=getattr(actor, "id", None),
    )
    session.add(loan)
    session.flush()
    session.add_all(
        Instalment(
            tenant_id=tenant_id,
            loan_id=loan.id,
            seq=r.seq,
            due_on=r.due_on,
            principal=r.principal,
            interest=r.interest,
            amount=r.amount,
            closing_balance=r.closing_balance,
        )
        for r in schedule
    )
    session.add_all(Collateral(tenant_id=tenant_id, loan_id=loan.id, **c.model_dump()) for c in collateral)
    session.add_all(_guarantor(tenant_id, loan.id, g) for g in guarantors)
    session.flush()
    _refresh_reports(session, tenant_id=tenant_id)
    jobs.emit(
        session,
        kind="loan.disbursed",
        tenant_id=tenant_id,
        payload={
            "loan_id": loan.id,
            "application_id": application_id,
            "principal": str(loan.principal),
            "disbursed_on": disbursed_on.isoformat(),
        },
    )
    if actor is not None:
        audit.record(
            session,
            actor=actor,
            action="loan.disbursed",
            tenant_id=tenant_id,
            resource_type="loan",
            resource_id=loan.id,
            details={
                "principal": str(loan.principal),
                "tenure_months": tenure_months,
                "application_id": application_id,
            },
        )
    return loan


def disburse_from_request(session: Session, *, tenant: Tenant, data: LoanCreate, actor: Any) -> dict[str, Any]:
    """Disburse a loan described by the API body and return its detail."""
    if data.disbursed_on > tenant_today(tenant):
        raise ValidationFailed("disbursed_on cannot be in the future")
    loan = disburse(
        session,
        tenant_id=tenant.id,
        application_id=data.application_id,
        principal=data.principal,
        annual_rate_pct=data.annual_rate_pct,
        tenure_months=data.tenure_months,
        disbursed_on=data.disbursed_on,
        first_due_on=data.first_due_on,
        customer=data.customer,
        pd_at_origination=data.pd_at_origination,
        external_ref=data.external_ref,
        purpose=data.purpose,
        collateral=data.collateral,
        guarantors=data.guarantors,
        actor=actor,
    )
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
    loan = get_owned(session, Loan, loan_id, tenant.id, what="Loan")
    existing = session.execute(
        select_owned(Payment, tenant.id).where(Payment.reference == data.reference)
    ).scalar_one_or_none()
    if existing is not None:
        return _replay(existing, loan_id, data)
    if data.paid_on < loan.disbursed_on:
        raise ValidationFailed("paid_on is before the loan was disbursed")
    if data.paid_on > tenant_today(tenant):
        raise ValidationFailed("paid_on cannot be in the future")
    total_due = session.execute(
        scoped(select(func.coalesce(func.sum(Instalment.amount), 0)), Instalment, tenant.id).where(
            Instalment.loan_id == loan.id
        )
    ).scalar_one()
    paid = _paid_total(session, tenant_id=tenant.id, loan_id=loan.id)
    remaining = money(total_due) - paid
    if money(data.amount) > remaining:
        raise ValidationFailed(f"amount exceeds what remains payable on the loan ({remaining})")
    payment = Payment(
        tenant_id=tenant.id,
        loan_id=loan.id,
        reference=data.reference,
        amount=money(data.amount),
        paid_on=data.paid_on,
        channel=data.channel,
        created_by=getattr(actor, "id", None),
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:  # a concurrent request stored the same reference first
        existing = session.execute(
            select_owned(Payment, tenant.id).where(Payment.reference == data.reference)
        ).scalar_one()
        return _replay(existing, loan_id, data)
    if paid + payment.amount >= money(total_due):
        loan.status = "closed"
        loan.closed_on = max(data.paid_on, loan.closed_on or data.paid_on)
    loan.updated_at = utcnow()
    _refresh_reports(session, tenant_id=tenant.id)
    jobs.emit(
        session,
        kind="payment.received",
        tenant_id=tenant.id,
        payload={
            "loan_id": loan.id,
            "payment_id": payment.id,
            "reference": payment.reference,
            "amount": str(payment.amount),
            "paid_on": payment.paid_on.isoformat(),
        },
    )
    audit.record(
        session,
        actor=actor,
        action="payment.recorded",
        tenant_id=tenant.id,
        resource_type="loan",
        resource_id=loan.id,
        details={"reference": payment.reference, "amount": str(payment.amount), "paid_on": payment.paid_on.isoformat()},
    )
    return PaymentOutcome(payment=payment, replayed=False)


def _replay(existing: Payment, loan_id: str, data: PaymentCreate) -> PaymentOutcome:
    if not _same_payment(existing, loan_id, data):
        raise Conflict(f"Payment reference '{data.reference}' was already used for a different payment")
    return PaymentOutcome(payment=existing, replayed=True)


def _paid_total(session: Session, *, tenant_id: str, loan_id: str) -> Decimal:
    value = session.execute(
        scoped(select(func.coalesce(func.sum(Payment.amount), 0)), Payment, tenant_id).where(Payment.loan_id == loan_id)
    ).scalar_one()
    return money(value)


def mark_loss(session: Session, *, tenant: Tenant, loan_id: str, marked_on: date, actor: Any) -> dict[str, Any]:
    """Mark an NPA loan as a Loss asset from ``marked_on`` (the lender's or auditor's decision)."""
    loan = get_owned(session, Loan, loan_id, tenant.id, what="Loan")
    if marked_on > tenant_today(tenant) or marked_on < loan.disbursed_on:
        raise ValidationFailed("marked_on must lie between disbursal and today")
    book = _build_book(session, tenant_id=tenant.id, loan_ids=[loan.id])
    state = book.state(marked_on)
    if not state.npa[0]:
        raise Conflict("Only a non-performing (NPA) loan can be marked as a Loss asset")
    loan.loss_marked_on = marked_on
    loan.updated_at = utcnow()
    _refresh_reports(session, tenant_id=tenant.id)
    audit.record(
        session,
        actor=actor,
        action="loan.loss_marked",
        tenant_id=tenant.id,
        resource_type="loan",
        resource_id=loan.id,
        details={"marked_on": marked_on.isoformat()},
    )
    session.flush()
    return loan_detail(session, tenant=tenant, loan_id=loan.id, as_of=None)


# --------------------------------------------------------------------------------------------------
# reading loans


def _position(book: Book, state: Any, i: int, as_of: date) -> dict[str, Any]:
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
    as_of = as_of or tenant_today(tenant)
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
    as_of = as_of or tenant_today(tenant)
    loan = get_owned(session, Loan, loan_id, tenant.id, what="Loan")
    customer = session.get(Customer, loan.customer_id)
    book = _build_book(session, tenant_id=tenant.id, loan_ids=[loan.id])
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
        elif inst.due_on < as_of:
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
    as_of = as_of or tenant_today(tenant)
    loan = get_owned(session, Loan, loan_id, tenant.id, what="Loan")
    book = _build_book(session, tenant_id=tenant.id, loan_ids=[loan.id])
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


def rotate_personal_data(session: Session, box: Any, report: Any) -> None:
    """Re-seal customers' and guarantors' identities (and re-hash PANs) under the active key; count into ``report``.

    The hook shape of ``bureaus.service.rotate_secrets`` (``session, box, report``).
    """
    from creditdesk.kit.crypto import DecryptionError, pan_hash
    from creditdesk.portfolio.models import identity_aad

    for model in (Customer, Guarantor):
        for row in session.execute(select(model).order_by(model.id).execution_options(yield_per=1000)).scalars():
            if not box.needs_rotation(row.identity):
                report.already_current += 1
                continue
            aad = identity_aad(model.__tablename__, row.tenant_id, row.id)
            try:
                identity = box.open_json(row.identity, aad)
            except DecryptionError:
                report.failed.append(aad)
                continue
            row.identity = box.seal_json(identity, aad)
            if model is Customer:
                row.pan_hash = pan_hash(box, row.tenant_id, identity.get("pan"))
            report.rotated += 1
    session.flush()
