"""Demo seeding: about 24 months of loan-book history for the demo tenant (DESIGN §6), made through the paths.

The synthetic history (:mod:`creditdesk.portfolio.simulation`) decides *what* happens — who borrows,
who pays when, who defaults — and :func:`replay_portfolio` makes it happen through the same service
functions the API and the payment webhooks call: :func:`~creditdesk.portfolio.service.disburse` for
each loan (``loan.disbursed``), :func:`~creditdesk.portfolio.service.record_payment` for each payment
(``payment.received``), :func:`~creditdesk.portfolio.service.mark_loss` for the losses. Nothing is
written straight into the tables, so the demo book carries its events, audit-free platform actions
and reports exactly as a real one would.

The demo's approved applications (:mod:`creditdesk.scoring.demo`, decided through the real decision
path over the last 60 days) are then disbursed from the application — the loan carries the application
id, its PD and model — a few days after the decision, and pay their instalments due so far, except one in
ten that misses its first (so the demo shows fresh SMA-0 accounts). The last week's approved applications
are left undisbursed, for trying the disbursement saga in the portal.

Tests that need a large book fast still use :func:`insert_portfolio` (a bulk insert of the same rows).
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from random import Random
from typing import Any

import structlog
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from creditdesk.config import Settings
from creditdesk.db import set_tenant_scope, utcnow
from creditdesk.kit.crypto import personal_data_box
from creditdesk.portfolio.models import (
    CUSTOMER_IDENTITY,
    Collateral,
    Customer,
    Instalment,
    Loan,
    Payment,
    seal_identity,
)
from creditdesk.portfolio.schedule import add_months
from creditdesk.portfolio.schemas import CollateralIn, CustomerIn, PaymentCreate
from creditdesk.portfolio.service import LoanSpec, disburse, mark_loss, record_payment
from creditdesk.portfolio.simulation import SimulatedPortfolio, simulate_portfolio
from creditdesk.scoring.models import Application
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import scoped, select_owned

log = structlog.get_logger("creditdesk.demo")
DEMO_LOANS = 1000
DEMO_MONTHS = 24
DEMO_SEED = 7
_CHUNK = 5000
#: loans replayed between two flushes of the session (its identity map is emptied each time)
_LOANS_PER_FLUSH = 100
#: share of the demo's newly disbursed applications that miss their first instalment
MISSED_FIRST = 0.1
#: the approved applications of the last week are left to disburse (the portal's disbursement saga)
AWAITING_DAYS = 7


def insert_portfolio(session: Session, *, tenant_id: str, sim: SimulatedPortfolio) -> None:
    """Bulk-insert a simulated portfolio into a tenant (ids were assigned by the simulation) — for tests.

    Customers' identities are sealed here as the API's disbursals seal them (one encryption each).
    """
    now = utcnow()
    box = personal_data_box()
    customers = [
        seal_identity(box, table="customer", tenant_id=tenant_id, row_id=c["id"], values=c, fields=CUSTOMER_IDENTITY)
        for c in sim.customers
    ]
    for model, rows, stamped in (
        (Customer, customers, True),
        (Loan, sim.loans, True),
        (Instalment, sim.instalments, False),
        (Payment, sim.payments, True),
        (Collateral, sim.collateral, True),
    ):
        extra = {"tenant_id": tenant_id, **({"created_at": now} if stamped else {})}
        if model is Loan:
            extra["updated_at"] = now
        for start in range(0, len(rows), _CHUNK):
            session.execute(insert(model), [{**row, **extra} for row in rows[start : start + _CHUNK]])
    session.flush()


def _demo_phone(seed: str) -> str:
    """A made-up Indian mobile number for a simulated borrower (the channel simulators answer by its last digit)."""
    digits = int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16) % 1_000_000_000
    return f"+919{digits:09d}"


def _spec(loan: dict[str, Any], customer: dict[str, Any], collateral: list[dict[str, Any]]) -> LoanSpec:
    """The disbursal a simulated loan stands for, as the API would be asked for it."""
    fields = {k: customer[k] for k in CustomerIn.model_fields if customer.get(k) is not None}
    fields.setdefault("phone", _demo_phone(str(loan.get("external_ref") or fields.get("name", ""))))
    borrower = CustomerIn(**fields)
    return LoanSpec(
        principal=loan["principal"],
        annual_rate_pct=loan["annual_rate_pct"],
        tenure_months=loan["tenure_months"],
        disbursed_on=loan["disbursed_on"],
        first_due_on=loan["first_due_on"],
        customer=borrower,
        pd_at_origination=loan["pd_at_origination"],
        external_ref=loan["external_ref"],
        purpose=loan["purpose"],
        collateral=tuple(
            CollateralIn(kind=c["kind"], description=c["description"], value=c["value"], valued_on=c["valued_on"])
            for c in collateral
        ),
    )


def _pay(
    session: Session,
    tenant: Tenant,
    loan_id: str,
    *,
    reference: str,
    amount: Decimal,
    paid_on: date,
    channel: str | None,
) -> None:
    data = PaymentCreate(reference=reference, amount=amount, paid_on=paid_on, channel=channel)  # type: ignore[arg-type]
    record_payment(session, tenant=tenant, loan_id=loan_id, data=data, actor=None)


def replay_portfolio(session: Session, *, tenant: Tenant, sim: SimulatedPortfolio) -> dict[str, int]:
    """Make the simulated history happen through the service paths; answer how many of each were made.

    Each loan is disbursed, then its payments are recorded in date order, then a Loss mark is applied
    where the simulation made one. The session is flushed and emptied every :data:`_LOANS_PER_FLUSH`
    loans so a long replay stays as fast per loan as a short one (one transaction throughout).
    """
    tenant_id = tenant.id
    customers = {c["id"]: c for c in sim.customers}
    collateral: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in sim.collateral:
        collateral[c["loan_id"]].append(c)
    payments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in sim.payments:
        payments[p["loan_id"]].append(p)
    counts = {"loans": 0, "payments": 0, "losses": 0}
    for n, loan in enumerate(sim.loans):
        if n % _LOANS_PER_FLUSH == 0:
            session.flush()
            session.expunge_all()
            tenant = session.get_one(Tenant, tenant_id)
        booked = disburse(
            session,
            tenant_id=tenant_id,
            spec=_spec(loan, customers[loan["customer_id"]], collateral[loan["id"]]),
        )
        counts["loans"] += 1
        for p in sorted(payments[loan["id"]], key=lambda p: p["paid_on"]):
            _pay(
                session,
                tenant,
                booked.id,
                reference=p["reference"],
                amount=p["amount"],
                paid_on=p["paid_on"],
                channel=p["channel"],
            )
            counts["payments"] += 1
        if loan["loss_marked_on"] is not None:
            mark_loss(session, tenant=tenant, loan_id=booked.id, marked_on=loan["loss_marked_on"], actor=None)
            counts["losses"] += 1
    session.flush()
    return counts


def disburse_demo_applications(session: Session, *, tenant: Tenant, seed: int = DEMO_SEED) -> dict[str, int]:
    """Disburse the tenant's approved applications older than a week from the application, and pay what is due.

    The last :data:`AWAITING_DAYS` days' approved applications are left for the disbursement saga.

    Each is disbursed 1–5 days after its decision (never after today) on the terms it asked for; every
    instalment due by today is paid on its due date, except that one in ten (:data:`MISSED_FIRST`)
    misses its first instalment. Answers how many loans and payments were made.
    """
    today = clock.today(tenant)
    disbursed = scoped(select(Loan.application_id), Loan, tenant.id).where(Loan.application_id.is_not(None))
    awaiting_since = clock.now(tenant) - timedelta(days=AWAITING_DAYS)
    approved = session.execute(
        select_owned(Application, tenant.id)
        .where(
            Application.decision == "Approve",
            Application.id.not_in(disbursed),
            Application.created_at < awaiting_since,
        )
        .order_by(Application.created_at, Application.id)
    ).scalars()
    rnd = Random(seed)
    counts = {"loans": 0, "payments": 0}
    for application in list(approved):
        terms = application.request.get("loan") or {}
        decided_on = clock.local(application.created_at, tenant).date()
        disbursed_on = min(today, decided_on + timedelta(days=rnd.randint(1, 5)))
        loan = disburse(
            session,
            tenant_id=tenant.id,
            spec=LoanSpec(
                principal=Decimal(str(terms["amount"])),
                annual_rate_pct=Decimal(str(terms["interest_rate"])),
                tenure_months=int(terms["tenure_months"]),
                disbursed_on=disbursed_on,
                application_id=application.id,
            ),
        )
        counts["loans"] += 1
        misses_first = rnd.random() < MISSED_FIRST
        instalments = session.execute(
            select_owned(Instalment, tenant.id).where(Instalment.loan_id == loan.id).order_by(Instalment.seq)
        ).scalars()
        for k, instalment in enumerate(instalments):
            if instalment.due_on > today:
                break
            if misses_first and k == 0:
                continue
            _pay(
                session,
                tenant,
                loan.id,
                reference=f"DEMO-{loan.id[:8]}-{instalment.seq:03d}",
                amount=instalment.amount,
                paid_on=instalment.due_on,
                channel="nach",
            )
            counts["payments"] += 1
    return counts


def seed_portfolio(session: Session, settings: Settings, *, loans: int = DEMO_LOANS, as_of: date | None = None) -> None:
    """Give the demo tenant its loan book through the service paths, unless it already has loans."""
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one_or_none()
    if tenant is None:
        return
    set_tenant_scope(session, tenant.id)
    if session.execute(select_owned(Loan, tenant.id).limit(1)).first():
        return
    started = time.perf_counter()
    today = as_of or clock.today(tenant)
    sim = simulate_portfolio(loans=loans, months=DEMO_MONTHS, as_of=today, seed=DEMO_SEED)
    history = replay_portfolio(session, tenant=tenant, sim=sim)
    recent = disburse_demo_applications(session, tenant=session.get_one(Tenant, tenant.id))
    log.info(
        "demo portfolio seeded through the service paths",
        loans=history["loans"] + recent["loans"],
        from_applications=recent["loans"],
        payments=history["payments"] + recent["payments"],
        losses=history["losses"],
        since=add_months(today, -DEMO_MONTHS).isoformat(),
        seconds=round(time.perf_counter() - started, 1),
    )
