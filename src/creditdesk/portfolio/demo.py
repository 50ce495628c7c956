"""Demo seeding: about 24 months of synthetic loan-book history for the demo tenant (DESIGN §6)."""

from __future__ import annotations

import time
from datetime import date

import structlog
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from creditdesk.config import Settings
from creditdesk.db import utcnow
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
from creditdesk.portfolio.simulation import SimulatedPortfolio, simulate_portfolio
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned

log = structlog.get_logger("creditdesk.demo")
DEMO_LOANS = 4000
DEMO_MONTHS = 24
DEMO_SEED = 7
_CHUNK = 5000


def insert_portfolio(session: Session, *, tenant_id: str, sim: SimulatedPortfolio) -> None:
    """Bulk-insert a simulated portfolio into a tenant (ids were assigned by the simulation).

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


def seed_portfolio(session: Session, settings: Settings, *, loans: int = DEMO_LOANS, as_of: date | None = None) -> None:
    """Give the demo tenant its synthetic loan book, unless it already has loans."""
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one_or_none()
    if tenant is None:
        return
    if session.execute(select_owned(Loan, tenant.id).limit(1)).first():
        return
    started = time.perf_counter()
    sim = simulate_portfolio(loans=loans, months=DEMO_MONTHS, as_of=as_of or clock.today(tenant), seed=DEMO_SEED)
    insert_portfolio(session, tenant_id=tenant.id, sim=sim)
    log.info(
        "demo portfolio seeded",
        loans=len(sim.loans),
        instalments=len(sim.instalments),
        payments=len(sim.payments),
        seconds=round(time.perf_counter() - started, 1),
    )
