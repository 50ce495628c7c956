"""Amortisation schedules and the lending ratios (EMI, DTI/FOIR, LTI, LTV).

Money invariant: every figure is ``Decimal`` rounded half-up to the paisa. Each instalment's interest
is the opening balance × the monthly rate, rounded to the paisa; its principal is EMI − interest;
the **last** instalment repays whatever balance is left, so it absorbs every rounding difference and
the principal components always add up to exactly the amount disbursed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from creditdesk.ml.features import emi as _emi

PAISE = Decimal("0.01")
RATIO = Decimal("0.0001")


def money(value: Any) -> Decimal:
    """Return an amount as Decimal rupees rounded half-up to the paisa."""
    return Decimal(str(value)).quantize(PAISE, rounding=ROUND_HALF_UP)


def emi(principal: Any, annual_rate_pct: Any, tenure_months: int) -> Decimal:
    """Return the equated monthly instalment (the one definition, shared with the model features)."""
    return _emi(principal, annual_rate_pct, tenure_months)


def add_months(day: date, months: int) -> date:
    """Return the same day ``months`` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_end(day: date) -> date:
    """Return the last day of the day's month."""
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def month_key(day: date) -> str:
    """Return ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class ScheduledInstalment:
    seq: int
    due_on: date
    principal: Decimal
    interest: Decimal
    amount: Decimal
    closing_balance: Decimal

    def columns(self) -> dict[str, Any]:
        """The instalment's columns of the ``instalment`` table (cheaper than ``dataclasses.asdict``)."""
        return {
            "seq": self.seq,
            "due_on": self.due_on,
            "principal": self.principal,
            "interest": self.interest,
            "amount": self.amount,
            "closing_balance": self.closing_balance,
        }


def amortisation_schedule(
    principal: Any, annual_rate_pct: Any, tenure_months: int, first_due_on: date
) -> list[ScheduledInstalment]:
    """Return the monthly schedule; instalment ``k`` falls due ``k − 1`` months after ``first_due_on``."""
    balance = money(principal)
    if balance <= 0:
        raise ValueError("principal must be positive")
    rate = Decimal(str(annual_rate_pct)) / Decimal(1200)
    instalment = emi(balance, annual_rate_pct, tenure_months)
    rows: list[ScheduledInstalment] = []
    for k in range(1, tenure_months + 1):
        interest = (balance * rate).quantize(PAISE, rounding=ROUND_HALF_UP)
        part = balance if k == tenure_months else min(instalment - interest, balance)
        balance -= part
        rows.append(
            ScheduledInstalment(
                seq=k,
                due_on=add_months(first_due_on, k - 1),
                principal=part,
                interest=interest,
                amount=part + interest,
                closing_balance=balance,
            )
        )
    return rows


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator <= 0:
        return None
    return (numerator / denominator).quantize(RATIO, rounding=ROUND_HALF_UP)


def dti(*, monthly_income: Any, existing_emi: Any, new_emi: Any) -> Decimal | None:
    """Return debt-to-income (FOIR): (existing EMIs + the new EMI) / monthly income; None without income."""
    return _ratio(money(existing_emi or 0) + money(new_emi), money(monthly_income or 0))


def lti(*, loan_amount: Any, monthly_income: Any) -> Decimal | None:
    """Return loan-to-income: the loan amount / annual income (12 × monthly); None without income."""
    return _ratio(money(loan_amount), money(monthly_income or 0) * 12)


def ltv(*, loan_amount: Any, collateral_value: Any) -> Decimal | None:
    """Return loan-to-value: the loan amount / the collateral's value; None when unsecured."""
    return _ratio(money(loan_amount), money(collateral_value or 0))
