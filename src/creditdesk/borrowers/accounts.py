"""The borrower's own accounts: their loans as the loan book sees them today, in words they can act on.

Security invariant: a borrower reads only their own loans — every query is the tenant's (the scoping
helper) *and* the signed-in customer's; another borrower's loan, in this tenant or another, is 404.
Positions (outstanding, overdue, DPD, RBI class, the schedule) are the portfolio's own
(``portfolio.service.loan_detail``), never recomputed here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from creditdesk.errors import NotFound
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.models import Loan
from creditdesk.tenancy.deps import BorrowerContext
from creditdesk.tenancy.scope import select_owned

#: an RBI asset class, said to the borrower
STANDING = {
    "standard": "Up to date: no payment is overdue.",
    "sma_0": "A payment is overdue (by up to 30 days). Paying it now keeps your credit record clean.",
    "sma_1": "A payment is 31 to 60 days overdue; lenders report this to credit bureaus.",
    "sma_2": "A payment is 61 to 90 days overdue. After 90 days the loan becomes a non-performing asset.",
    "substandard": "Payments are more than 90 days overdue: the loan is a non-performing asset.",
    "doubtful_1": "The loan has been a non-performing asset for over a year.",
    "doubtful_2": "The loan has been a non-performing asset for over two years.",
    "doubtful_3": "The loan has been a non-performing asset for over four years.",
    "loss": "The lender has marked the loan as a loss; it can still be settled with them.",
}
CLOSED = "Closed: nothing more to pay."
NOT_STARTED = "Not disbursed yet."

_ACCOUNT_FIELDS = (
    "id",
    "external_ref",
    "purpose",
    "status",
    "as_of",
    "principal",
    "annual_rate_pct",
    "tenure_months",
    "emi",
    "disbursed_on",
    "maturity_on",
    "outstanding_principal",
    "overdue_amount",
    "dpd",
)


def _standing(detail: dict[str, Any]) -> str:
    if detail["status"] == "closed":
        return CLOSED
    if detail["status"] == "not_disbursed":
        return NOT_STARTED
    return STANDING.get(detail["asset_class"] or "standard", STANDING["standard"])


def _next_due(schedule: list[dict[str, Any]]) -> tuple[date | None, Decimal | None]:
    """The oldest instalment not paid in full: its due date and what is left of it."""
    for instalment in schedule:
        if instalment["status"] != "paid":
            return instalment["due_on"], instalment["amount"] - instalment["paid_amount"]
    return None, None


def _account(detail: dict[str, Any]) -> dict[str, Any]:
    """A loan's detail (portfolio's) as the borrower sees it."""
    next_due_on, next_due_amount = _next_due(detail["schedule"])
    return {
        **{name: detail[name] for name in _ACCOUNT_FIELDS},
        "next_due_on": next_due_on,
        "next_due_amount": next_due_amount,
        "rbi_class": detail["asset_class"],
        "rbi_class_label": detail["asset_class_label"],
        "standing": _standing(detail),
    }


def _own_loans(borrower: BorrowerContext) -> Any:
    return select_owned(Loan, borrower.tenant_id).where(Loan.customer_id == borrower.customer_id)


def list_accounts(session: Session, *, borrower: BorrowerContext) -> dict[str, list[dict[str, Any]]]:
    """The borrower's loans, newest first, each as it stands today."""
    ids = (
        session.execute(_own_loans(borrower).with_only_columns(Loan.id).order_by(Loan.disbursed_on.desc(), Loan.id))
        .scalars()
        .all()
    )
    tenant = borrower.tenant
    return {"items": [_account(portfolio.loan_detail(session, tenant=tenant, loan_id=i, as_of=None)) for i in ids]}


def get_account(session: Session, *, borrower: BorrowerContext, loan_id: str) -> dict[str, Any]:
    """One of the borrower's loans with its instalments; 404 for any loan that is not theirs."""
    if session.execute(_own_loans(borrower).with_only_columns(Loan.id).where(Loan.id == loan_id)).first() is None:
        raise NotFound("Loan not found")
    detail = portfolio.loan_detail(session, tenant=borrower.tenant, loan_id=loan_id, as_of=None)
    return {**_account(detail), "paid_amount": detail["paid_amount"], "instalments": detail["schedule"]}
