"""Shared arrangements for portfolio and monitoring tests: a seeded synthetic book in a fresh tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy.orm import Session
from tests.factories import bearer, make_tenant, make_user

from creditdesk.portfolio.demo import insert_portfolio
from creditdesk.portfolio.simulation import SimulatedPortfolio, simulate_portfolio
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant, User

#: A fixed day, so the book (and every class in it) is the same whenever the suite runs.
AS_OF = date(2026, 6, 30)
LOANS = 1200
SEED = 3  # at AS_OF this book has every class: SMA-0/1/2, Sub-standard, Doubtful D1 and Loss


@lru_cache(maxsize=4)
def simulated(loans: int = LOANS, seed: int = SEED, as_of: date = AS_OF) -> SimulatedPortfolio:
    """Return the (cached) simulated book; inserting it into another database reuses the same ids."""
    return simulate_portfolio(loans=loans, as_of=as_of, seed=seed)


@dataclass
class Lender:
    tenant: Tenant
    admin: User
    analyst: User
    auditor: User
    officer: User

    @property
    def base(self) -> str:
        return f"/api/v1/tenants/{self.tenant.slug}"

    def headers(self, role: str = "admin") -> dict[str, str]:
        return bearer(getattr(self, role))


def make_lender(session: Session, slug: str | None = None) -> Lender:
    """Insert a tenant with one user per tenant role."""
    tenant = make_tenant(session, slug)
    return Lender(
        tenant=tenant,
        admin=make_user(session, tenant, "tenant_admin"),
        analyst=make_user(session, tenant, "risk_analyst"),
        auditor=make_user(session, tenant, "auditor"),
        officer=make_user(session, tenant, "field_officer"),
    )


def seed_book(session: Session, lender: Lender, *, up_to_today: bool = False) -> SimulatedPortfolio:
    """Insert the simulated book (ending at AS_OF, or today for what runs "now") into the tenant and commit."""
    sim = simulated(as_of=clock.today(lender.tenant)) if up_to_today else simulated()
    insert_portfolio(session, tenant_id=lender.tenant.id, sim=sim)
    session.commit()
    return sim
