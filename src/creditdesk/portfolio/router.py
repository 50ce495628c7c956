"""Portfolio endpoints under /tenants/{tenant}/portfolio: loans, payments and the book's analytics."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from creditdesk.db import SessionDep
from creditdesk.kit.pagination import PageDep
from creditdesk.kit.params import Day
from creditdesk.portfolio import reports, service, timeline
from creditdesk.portfolio.models import Payment
from creditdesk.portfolio.schemas import (
    AssetClassName,
    LoanCreate,
    LoanDetail,
    LoanEventPage,
    LoanHistory,
    LoanPage,
    LossMarkIn,
    NpaBreakdown,
    PaymentCreate,
    PaymentRead,
    PortfolioSummary,
    RepaymentStats,
    RollRates,
    VintageReport,
)
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(prefix="/tenants/{tenant}/portfolio", tags=["portfolio"])

Reader = Annotated[TenantContext, TenantAccess(P.PORTFOLIO_READ)]
Manager = Annotated[TenantContext, TenantAccess(P.PORTFOLIO_MANAGE)]
AsOf = Annotated[Day | None, Query(description="Position at the end of this day (default: today, tenant time)")]


@router.get("/summary", response_model=PortfolioSummary, operation_id="getPortfolioSummary")
def get_summary(session: SessionDep, ctx: Reader, as_of: AsOf = None) -> dict[str, Any]:
    """Counts, disbursed, outstanding, collected, gross and net NPA ratio, default and approval rates."""
    return reports.summary(session, tenant=ctx.tenant, as_of=as_of)


@router.get("/loans", response_model=LoanPage, operation_id="listLoans")
def list_loans(
    session: SessionDep,
    ctx: Reader,
    page: PageDep,
    as_of: AsOf = None,
    status: Literal["active", "closed"] | None = None,
    asset_class: AssetClassName | Literal["npa", "sma"] | None = None,
    origination_month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> dict[str, Any]:
    """Loans, newest disbursal first, with DPD and RBI asset class as of a date."""
    return service.list_loans(
        session,
        tenant=ctx.tenant,
        as_of=as_of,
        status=status,
        asset_class=asset_class,
        origination_month=origination_month,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/loans", status_code=201, response_model=LoanDetail, operation_id="disburseLoan")
def disburse_loan(data: LoanCreate, session: SessionDep, ctx: Manager) -> dict[str, Any]:
    """Disburse a loan (from an approved application or standalone) with its amortisation schedule."""
    return service.disburse_from_request(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.get("/loans/{loan_id}", response_model=LoanDetail, operation_id="getLoan")
def get_loan(loan_id: str, session: SessionDep, ctx: Reader, as_of: AsOf = None) -> dict[str, Any]:
    """One loan with its schedule, payments, collateral, guarantors, ratios and position."""
    return service.loan_detail(session, tenant=ctx.tenant, loan_id=loan_id, as_of=as_of)


@router.get("/loans/{loan_id}/history", response_model=LoanHistory, operation_id="getLoanHistory")
def get_loan_history(loan_id: str, session: SessionDep, ctx: Reader, as_of: AsOf = None) -> dict[str, Any]:
    """The loan's DPD and asset class at every month end, recomputed from its ledger."""
    return service.loan_history(session, tenant=ctx.tenant, loan_id=loan_id, as_of=as_of)


EventsPage = Annotated[int, Query(ge=1, le=100, description="Page size (1–100)")]


@router.get("/loans/{loan_id}/events", response_model=LoanEventPage, operation_id="listLoanEvents")
def list_loan_events(
    loan_id: str,
    session: SessionDep,
    ctx: Reader,
    limit: EventsPage = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """The loan's events timeline, newest first: disbursed, payments received, DPD moves, …"""
    return timeline.loan_events(session, tenant=ctx.tenant, loan_id=loan_id, limit=limit, offset=offset)


@router.post("/loans/{loan_id}/payments", status_code=201, response_model=PaymentRead, operation_id="recordPayment")
def record_payment(loan_id: str, data: PaymentCreate, session: SessionDep, ctx: Manager, response: Response) -> Payment:
    """Record a payment; replaying a reference returns the stored payment (200) and counts nothing."""
    outcome = service.record_payment(session, tenant=ctx.tenant, loan_id=loan_id, data=data, actor=ctx.caller)
    if outcome.replayed:
        response.status_code = 200
    return outcome.payment


@router.post("/loans/{loan_id}/loss", response_model=LoanDetail, operation_id="markLoanLoss")
def mark_loss(loan_id: str, data: LossMarkIn, session: SessionDep, ctx: Manager) -> dict[str, Any]:
    """Mark an NPA loan as a Loss asset."""
    return service.mark_loss(session, tenant=ctx.tenant, loan_id=loan_id, marked_on=data.marked_on, actor=ctx.caller)


@router.get("/npa", response_model=NpaBreakdown, operation_id="getNpaBreakdown")
def get_npa(session: SessionDep, ctx: Reader, as_of: AsOf = None) -> dict[str, Any]:
    """Active loans by RBI asset class — count and outstanding, adding up to the totals."""
    return reports.npa(session, tenant=ctx.tenant, as_of=as_of)


@router.get("/repayments", response_model=RepaymentStats, operation_id="getRepaymentStats")
def get_repayments(
    session: SessionDep, ctx: Reader, as_of: AsOf = None, months: Annotated[int, Query(ge=1, le=60)] = 12
) -> dict[str, Any]:
    """Instalments paid on time / late / unpaid and collection efficiency by month."""
    return reports.repayments(session, tenant=ctx.tenant, as_of=as_of, months=months)


@router.get("/vintage", response_model=VintageReport, operation_id="getVintageCurves")
def get_vintage(
    session: SessionDep, ctx: Reader, as_of: AsOf = None, max_mob: Annotated[int, Query(ge=1, le=120)] = 24
) -> dict[str, Any]:
    """Cumulative ever-30+ and ever-90+ rates by origination month × months on book."""
    return reports.vintage(session, tenant=ctx.tenant, as_of=as_of, max_mob=max_mob)


@router.get("/roll-rates", response_model=RollRates, operation_id="getRollRates")
def get_roll_rates(
    session: SessionDep, ctx: Reader, as_of: AsOf = None, months: Annotated[int, Query(ge=1, le=36)] = 6
) -> dict[str, Any]:
    """Month-to-month transition rates between DPD buckets (and to closed), pooled over recent months."""
    return reports.roll_rates(session, tenant=ctx.tenant, as_of=as_of, months=months)
