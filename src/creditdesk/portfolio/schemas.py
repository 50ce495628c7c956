"""Portfolio payloads: disbursal, payments, loans with their schedule, and the analytics responses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from creditdesk.bureaus.schemas import Pan
from creditdesk.kit.money import Money, PositiveMoney

AssetClassName = Literal[
    "standard", "sma_0", "sma_1", "sma_2", "substandard", "doubtful_1", "doubtful_2", "doubtful_3", "loss"
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerIn(_In):
    name: str = Field(min_length=1, max_length=200)
    pan: Pan | None = None
    external_ref: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9]{10,13}$")
    email: EmailStr | None = None
    date_of_birth: date | None = None
    employment_type: Literal["salaried", "self_employed", "gig", "farmer", "student", "unemployed"] | None = None
    monthly_income: Money | None = None
    existing_emi: Money | None = None
    state: str | None = Field(default=None, max_length=60)


class CollateralIn(_In):
    kind: Literal["vehicle", "property", "gold", "deposit", "equipment", "other"]
    description: str | None = Field(default=None, max_length=200)
    value: PositiveMoney
    valued_on: date | None = None


class GuarantorIn(_In):
    name: str = Field(min_length=1, max_length=200)
    pan: Pan | None = None
    relationship: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9]{10,13}$")
    monthly_income: Money | None = None


class LoanCreate(_In):
    """Disburse a loan — from an approved application (``application_id``) or standalone."""

    application_id: str | None = Field(default=None, max_length=36)
    external_ref: str | None = Field(default=None, max_length=64)
    customer: CustomerIn | None = None
    principal: PositiveMoney
    annual_rate_pct: Decimal = Field(ge=0, le=60, max_digits=6, decimal_places=3, description="Percent per annum")
    tenure_months: int = Field(ge=1, le=360)
    disbursed_on: date
    first_due_on: date | None = Field(default=None, description="Defaults to one month after disbursal")
    purpose: str | None = Field(default=None, max_length=30)
    pd_at_origination: float | None = Field(default=None, ge=0, le=1)
    collateral: list[CollateralIn] = Field(default_factory=list, max_length=20)
    guarantors: list[GuarantorIn] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _dates(self) -> LoanCreate:
        if self.first_due_on is not None and self.first_due_on <= self.disbursed_on:
            raise ValueError("first_due_on must be after disbursed_on")
        return self


class PaymentCreate(_In):
    reference: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:/\-]+$",
        description="Your unique payment reference (UTR, NACH id, receipt no.); replays are ignored",
    )
    amount: PositiveMoney
    paid_on: date
    channel: Literal["nach", "upi", "neft", "rtgs", "imps", "cash", "cheque", "other"] | None = None


class LossMarkIn(_In):
    marked_on: date


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    loan_id: str
    reference: str
    amount: Decimal
    paid_on: date
    channel: str | None
    created_at: datetime


class InstalmentRead(BaseModel):
    seq: int
    due_on: date
    principal: Decimal
    interest: Decimal
    amount: Decimal
    closing_balance: Decimal
    paid_amount: Decimal
    status: Literal["paid", "part_paid", "overdue", "due", "upcoming"]
    paid_on: date | None


class CollateralRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    description: str | None
    value: Decimal
    valued_on: date | None


class GuarantorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    relationship: str | None
    phone: str | None
    monthly_income: Decimal | None


class LoanRead(BaseModel):
    id: str
    external_ref: str | None
    application_id: str | None
    customer_id: str
    customer_name: str
    purpose: str | None
    principal: Decimal
    annual_rate_pct: Decimal
    tenure_months: int
    emi: Decimal
    disbursed_on: date
    first_due_on: date
    maturity_on: date
    pd_at_origination: float | None
    model_id: str | None
    model_version: int | None
    created_at: datetime
    as_of: date
    status: Literal["active", "closed", "not_disbursed"]
    closed_on: date | None
    dpd: int
    asset_class: AssetClassName | None
    asset_class_label: str | None
    npa_since: date | None
    loss_marked_on: date | None
    outstanding_principal: Decimal
    overdue_amount: Decimal
    paid_amount: Decimal


class RatiosRead(BaseModel):
    emi: Decimal
    dti: Decimal | None = Field(description="(existing EMIs + this EMI) / monthly income (FOIR)")
    lti: Decimal | None = Field(description="principal / annual income")
    ltv: Decimal | None = Field(description="principal / collateral value (None when unsecured)")


class LoanDetail(LoanRead):
    ratios: RatiosRead
    schedule: list[InstalmentRead]
    payments: list[PaymentRead]
    collateral: list[CollateralRead]
    guarantors: list[GuarantorRead]


class LoanPage(BaseModel):
    items: list[LoanRead]
    total: int
    limit: int
    offset: int


class LoanHistoryPoint(BaseModel):
    as_of: date
    dpd: int
    asset_class: AssetClassName | None
    outstanding_principal: Decimal
    overdue_amount: Decimal


class LoanHistory(BaseModel):
    loan_id: str
    points: list[LoanHistoryPoint]


class LoanEvent(BaseModel):
    """A domain event about the loan, in the envelope consumers and webhooks receive (docs/events.md)."""

    id: str
    type: str = Field(description="The routing key: loan.disbursed, payment.received, loan.dpd_changed, …")
    tenant: str | None
    occurred_at: datetime
    data: dict[str, Any]


class LoanEventPage(BaseModel):
    items: list[LoanEvent]
    total: int
    limit: int
    offset: int


# --------------------------------------------------------------------------------------------------
# analytics (ratios are fractions 0–1; money is Decimal rupees)


class LoanCounts(BaseModel):
    total: int
    active: int
    closed: int


class CountAmount(BaseModel):
    loans: int
    outstanding: Decimal


class GrossNpa(CountAmount):
    ratio: float | None


class NetNpa(BaseModel):
    provisions: Decimal = Field(description="RBI IRACP minimum provisions held against NPA loans only")
    ratio: float | None


class PortfolioSummary(BaseModel):
    as_of: date
    loans: LoanCounts
    disbursed_amount: Decimal
    outstanding_principal: Decimal
    collected_amount: Decimal
    overdue_amount: Decimal
    gross_npa: GrossNpa
    net_npa: NetNpa
    provisions_total: Decimal = Field(
        description="Provision required by the RBI IRACP minimum rates on every active loan (0.4 % on standard "
        "assets, 15–100 % on NPAs by class and security) — a regulatory floor, not an estimate of loss"
    )
    default_rate: float | None = Field(description="Share of disbursed loans that ever became NPA (90+ DPD)")
    default_rate_12m: float | None = Field(description="NPA within 12 months, among loans at least 12 months old")
    default_definition: str
    average_pd: float | None = Field(description="Outstanding-weighted PD at origination of active loans")
    expected_loss: Decimal = Field(
        description="Expected credit loss: Σ PD at origination × outstanding × LGD over active loans — the model's "
        "estimate of loss, which differs from the regulatory provision"
    )
    lgd: float
    applications: int | None = Field(
        description="Decided applications in the approval window (None until scoring has any)"
    )
    approval_rate: float | None = Field(
        description="Share of the window's decided applications that were approved, as decided (with knock-outs) — "
        "the same figure as the monitoring overview's for the same window"
    )
    approval_window_months: int = Field(description="Calendar months of the approval window, this month included")
    approval_window_from: datetime | None = Field(description="Start of the approval window")


class AssetClassRow(BaseModel):
    asset_class: AssetClassName
    label: str
    npa: bool
    loans: int
    outstanding: Decimal


class NpaGroups(BaseModel):
    standard: CountAmount
    sma: CountAmount
    npa: CountAmount
    doubtful: CountAmount


class NpaBreakdown(BaseModel):
    as_of: date
    classes: list[AssetClassRow]
    totals: CountAmount
    groups: NpaGroups
    gross_npa_ratio: float | None


class RepaymentMonth(BaseModel):
    month: str
    instalments_due: int
    amount_due: Decimal
    collected: Decimal
    collection_efficiency: float | None
    on_time_rate: float | None


class RepaymentStats(BaseModel):
    as_of: date
    instalments_due: int
    paid_on_time: int
    paid_late: int
    unpaid: int
    on_time_rate: float | None
    amount_due: Decimal
    amount_collected: Decimal
    collection_efficiency: float | None
    months: list[RepaymentMonth]


class VintagePoint(BaseModel):
    mob: int = Field(description="Months on book")
    dpd30_rate: float | None
    dpd90_rate: float | None


class VintageCurve(BaseModel):
    origination_month: str
    loans: int
    amount: Decimal
    curve: list[VintagePoint]


class VintageReport(BaseModel):
    as_of: date
    definition: str
    vintages: list[VintageCurve]


class RollRateRow(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    loans: int
    counts: dict[str, int]
    rates: dict[str, float | None]

    model_config = ConfigDict(populate_by_name=True)


class RollRates(BaseModel):
    as_of: date
    transitions: int
    from_month: str | None
    buckets: list[str]
    to_buckets: list[str]
    rows: list[RollRateRow]
