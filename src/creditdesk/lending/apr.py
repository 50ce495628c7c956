"""The Annual Percentage Rate (APR): the all-in annual cost of credit, as an internal rate of return.

Convention (RBI, *Key Facts Statement (KFS) for Loans & Advances*, RBI/2024-25/18,
DOR.STR.REC.13/13.03.00/2024-25, 15 April 2024, paragraph 3 and the APR illustration of its Annex B):

* the APR is computed on the **net disbursed amount** — the sanctioned principal less every fee and
  charge collected upfront, **GST on those fees included** (the borrower never receives it);
* it equates that amount to the borrower's payments — every instalment, plus any fee collected later
  with an instalment — by the **IRR approach on the reducing balance**, one period per instalment;
* the periodic (monthly) IRR is annualised by **multiplying by 12**: a nominal annual rate, expressed
  the same way as the loan's ``interest_rate`` (percent per annum, monthly rests), so a loan without fees
  has an APR equal to its interest rate. The effective annual rate ``(1 + i)^12 − 1`` is returned
  alongside for information only; it is not the KFS figure.

Cash flows are ``Decimal`` rounded to the paisa before the root is searched; the root is found with a
bracketed solver (Brent's method, :func:`scipy.optimize.brentq`) — it cannot diverge the way Newton's
method can — and the APR is reported to two decimals, half-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import brentq  # type: ignore[import-untyped]

from creditdesk.errors import ValidationFailed
from creditdesk.kit.money import Money
from creditdesk.portfolio.schedule import amortisation_schedule, money

PAISE = Decimal("0.01")
#: GST on financial services' fees in India (percent)
DEFAULT_GST_PCT = Decimal("18")
#: months per year: the KFS annualisation factor (monthly IRR × 12)
PERIODS_PER_YEAR = 12
#: the solver's tolerance on the monthly rate (far below the 0.005 % p.a. that rounding to 2 decimals hides)
_XTOL = 1e-13
#: a reference first due date where only the amounts of a schedule matter (the APR counts periods, not days)
_ANY_DAY = date(2000, 1, 1)


class AprError(ValidationFailed):
    """The loan's terms admit no meaningful APR (no tenure, fees swallowing the principal, …)."""


class Charge(BaseModel):
    """A fee or charge of the loan, its amount net of GST, and when the borrower pays it.

    ``collected_with`` is ``None`` for a charge deducted from the disbursement (upfront) or the
    instalment number it is collected with.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    amount: Money
    gst_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = DEFAULT_GST_PCT
    payable_to: Literal["lender", "third_party"] = "lender"
    recurrence: Literal["one_time", "recurring"] = "one_time"
    collected_with: Annotated[int, Field(ge=1)] | None = None

    @property
    def gst(self) -> Decimal:
        """The GST on the charge, to the paisa (half-up)."""
        return money(self.amount * self.gst_pct / 100)

    @property
    def total(self) -> Decimal:
        """What the borrower pays: the charge plus its GST."""
        return self.amount + self.gst

    @property
    def upfront(self) -> bool:
        """Whether it is deducted from the disbursement."""
        return self.collected_with is None

    @classmethod
    def percent_of(cls, name: str, principal: Decimal, pct: Decimal, **more: object) -> Charge:
        """A charge of ``pct`` percent of the principal (rounded to the paisa), e.g. a 2 % processing fee."""
        return cls.model_validate({"name": name, "amount": money(principal * pct / 100), **more})


@dataclass(frozen=True)
class CashFlows:
    """The borrower's side of the loan: received at period 0, paid at periods 1…n."""

    net_disbursed: Decimal
    payments: tuple[Decimal, ...]

    @property
    def total_paid(self) -> Decimal:
        """Everything the borrower pays over the loan (instalments and later charges)."""
        return sum(self.payments, Decimal(0))


@dataclass(frozen=True)
class Apr:
    """The APR (percent per annum, nominal: monthly IRR × 12) and what it was computed from."""

    apr: Decimal
    monthly_irr: Decimal
    effective_annual_rate: Decimal
    flows: CashFlows


def loan_cash_flows(*, principal: Decimal, instalments: Sequence[Decimal], charges: Sequence[Charge] = ()) -> CashFlows:
    """The net disbursed amount and the payment of each period, every figure rounded to the paisa."""
    amount = money(principal)
    if amount <= 0:
        raise AprError("the principal must be more than zero")
    if not instalments:
        raise AprError("the tenure must be at least one instalment")
    upfront = sum((c.total for c in charges if c.upfront), Decimal(0))
    if upfront >= amount:
        raise AprError(f"upfront charges with GST (₹{upfront}) must be less than the principal (₹{amount})")
    payments = [money(i) for i in instalments]
    for charge in charges:
        if charge.collected_with is not None:
            if charge.collected_with > len(payments):
                raise AprError(f"{charge.name} is collected with instalment {charge.collected_with} of {len(payments)}")
            payments[charge.collected_with - 1] += charge.total
    return CashFlows(net_disbursed=amount - upfront, payments=tuple(payments))


def _npv_gap(rate: float, net: float, payments: Sequence[float]) -> float:
    """Present value of the payments at ``rate`` per period, less the net amount disbursed."""
    factor = 1.0 / (1.0 + rate)
    present, discount = 0.0, 1.0
    for payment in payments:
        discount *= factor
        present += payment * discount
    return present - net


def _bracket(net: float, payments: Sequence[float]) -> tuple[float, float]:
    """A rate interval on which the NPV gap changes sign (it falls strictly as the rate rises)."""
    low, high = -0.9, 1.0
    while _npv_gap(high, net, payments) > 0:
        high *= 2
        if high > 1e6:  # pragma: no cover - unreachable while upfront charges < principal
            raise AprError("no rate equates the payments to the amount disbursed")
    if _npv_gap(low, net, payments) < 0:
        raise AprError("the payments are too small to repay the amount disbursed at any rate")
    return low, high


def _percent(rate: Decimal) -> Decimal:
    """A rate as a percentage to 2 decimals; a root a hair below zero is 0.00, not −0.00."""
    pct = (rate * 100).quantize(PAISE, rounding=ROUND_HALF_UP)
    return abs(pct) if pct.is_zero() else pct


def annual_percentage_rate(flows: CashFlows) -> Apr:
    """Solve the monthly IRR of ``flows`` and annualise it the KFS way (× 12), to 2 decimals."""
    net = float(flows.net_disbursed)
    payments = [float(p) for p in flows.payments]
    low, high = _bracket(net, payments)
    monthly = float(brentq(_npv_gap, low, high, args=(net, payments), xtol=_XTOL, rtol=1e-15, maxiter=500))
    irr = Decimal(repr(monthly))
    effective = (Decimal(1) + irr) ** PERIODS_PER_YEAR - 1
    return Apr(
        apr=_percent(irr * PERIODS_PER_YEAR),
        monthly_irr=irr.quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP),
        effective_annual_rate=_percent(effective),
        flows=flows,
    )


def apr_for_terms(
    *, principal: Decimal, annual_rate_pct: Decimal, tenure_months: int, charges: Sequence[Charge] = ()
) -> Apr:
    """The APR of an amortising loan: its EMIs from the portfolio's schedule, plus its charges."""
    if tenure_months < 1:
        raise AprError("the tenure must be at least one month")
    if annual_rate_pct < 0:
        raise AprError("the interest rate cannot be negative")
    if money(principal) <= 0:
        raise AprError("the principal must be more than zero")
    schedule = amortisation_schedule(principal, annual_rate_pct, tenure_months, _ANY_DAY)
    flows = loan_cash_flows(principal=principal, instalments=[row.amount for row in schedule], charges=charges)
    return annual_percentage_rate(flows)
