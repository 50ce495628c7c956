"""The normalised bureau report every connector produces, whatever the bureau's wire format.

Derived attributes are computed in one place, :meth:`BureauReport.from_parts`, from the accounts and
enquiries the connector parsed — so "max DPD in 24 months" means the same for CIBIL, Experian and CRIF:

- ``dpd_history`` of an account: days past due per month, **most recent first**, index 0 = the month
  of ``report_date``; ``None`` = not reported that month. At most 36 months.
- ``active_accounts``: accounts with status ``active``.
- ``utilization``: Σ current balance ÷ Σ sanctioned amount (the credit limit for cards) over active
  *revolving* accounts (credit cards, overdrafts); when the file has none, over all active accounts;
  ``None`` when there is no active account with a sanctioned amount. A ratio, may exceed 1.
- ``max_dpd_last_24m``: the largest DPD reported in months 0–23 on any account.
- ``dpd_30_last_12m``: how many account-months in months 0–11 show 30 or more DPD.
- ``enquiries_last_6m``: enquiries dated within six calendar months before ``report_date``.
- ``credit_history_months``: whole months from the oldest account's opening to ``report_date``.
- ``written_off`` / ``settled``: any account with that status.

A no-hit (the bureau has no record — a new-to-credit applicant) has ``hit=False``, ``score=None``,
no accounts, zero counts and ``utilization=None``.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator, model_validator

BureauName = Literal["cibil", "experian", "crif"]
BUREAUS: tuple[BureauName, ...] = ("cibil", "experian", "crif")

BUREAU_SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "cibil": ("password", "api_key"),
    "experian": ("client_id", "client_secret"),
    "crif": ("user_id", "password"),
}
"""The secret credential fields each bureau's configuration carries (§5 "Bureau integrations")."""

AccountType = Literal[
    "personal_loan",
    "credit_card",
    "home_loan",
    "auto_loan",
    "two_wheeler_loan",
    "consumer_durable_loan",
    "gold_loan",
    "business_loan",
    "education_loan",
    "overdraft",
    "other",
]
REVOLVING_TYPES: frozenset[str] = frozenset({"credit_card", "overdraft"})
AccountStatus = Literal["active", "closed", "written_off", "settled"]

PAN_PATTERN = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
MAX_DPD_MONTHS = 36


# The application's ``bureau`` block (DESIGN §5 "Scoring"), the one definition of its fields: the
# request schema uses this model, merged pulls produce it (:meth:`BureauReport.to_application_bureau`,
# :mod:`.merge`), and the model's ``bureau_*`` features are named after it (``ml/features.py``).
# ``written_off`` is "any account written off or settled"; None (like ``score``) when there is no record.
# (No docstring: it would become the OpenAPI description of the public schema.)
class BureauData(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    score: int | None = Field(default=None, ge=300, le=900)
    utilization: float | None = Field(default=None, ge=0, le=5)
    dpd_30_last_12m: int | None = Field(default=None, ge=0, le=120)
    max_dpd_last_24m: int | None = Field(default=None, ge=0, le=3650)
    enquiries_last_6m: int | None = Field(default=None, ge=0, le=500)
    credit_history_months: int | None = Field(default=None, ge=0, le=900)
    active_accounts: int | None = Field(default=None, ge=0, le=500)
    written_off: StrictBool | None = None


APPLICATION_BUREAU_FIELDS: tuple[str, ...] = tuple(BureauData.model_fields)
"""The keys of an application's ``bureau`` block, in order."""
BUREAU_FLAG_FIELDS: tuple[str, ...] = ("written_off",)
"""The yes/no fields of the block; every other one is a number."""
BUREAU_NUMERIC_FIELDS: tuple[str, ...] = tuple(f for f in APPLICATION_BUREAU_FIELDS if f not in BUREAU_FLAG_FIELDS)


def pan_input(value: Any) -> Any:
    """Normalise a PAN as typed (stripped, NFC, upper-cased), rejecting non-ASCII first; non-strings pass.

    The ASCII check comes before upper-casing: Unicode case rules grow and fold letters ("ﬀ" upper-cases
    to "FF"), so ``ABCﬀ1234K`` would otherwise become a well-formed PAN that nobody typed.
    """
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", value.strip())
    if not text.isascii():
        raise ValueError("PAN must be ASCII letters and digits: 5 letters, 4 digits and a letter (e.g. ABCPV1234K)")
    return text.upper()


#: A PAN in a request body: normalised by :func:`pan_input` (ASCII checked first), then matched.
Pan = Annotated[
    str,
    Field(pattern=PAN_PATTERN.pattern, description="Permanent Account Number, e.g. ABCPV1234K"),
    BeforeValidator(pan_input),  # listed after the pattern so it runs first and the schema keeps the pattern
]


def normalise_pan(pan: str) -> str:
    """Return ``pan`` upper-cased and stripped, or raise ValueError when it is not a PAN."""
    value: str = pan_input(pan) if isinstance(pan, str) else ""
    if not PAN_PATTERN.match(value):
        raise ValueError("PAN must be 5 letters, 4 digits and a letter (e.g. ABCPV1234K)")
    return value


def months_between(earlier: date, later: date) -> int:
    """Return the whole months from ``earlier`` to ``later`` (0 when ``later`` is not after it)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day < earlier.day:
        months -= 1
    return max(0, months)


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months, clamped to the month's last day."""
    year, month0 = divmod(day.year * 12 + (day.month - 1) + months, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last_day))


class BureauAccount(BaseModel):
    """One credit facility as a bureau reports it."""

    model_config = ConfigDict(extra="forbid")

    account_type: AccountType
    status: AccountStatus
    sanctioned_amount: Decimal = Field(ge=0, description="Sanctioned amount, or credit limit for cards")
    current_balance: Decimal
    overdue_amount: Decimal = Field(default=Decimal(0), ge=0)
    opened_on: date | None = None
    closed_on: date | None = None
    dpd_history: list[int | None] = Field(
        default_factory=list,
        max_length=MAX_DPD_MONTHS,
        description="Days past due per month, most recent first; index 0 = report month; null = not reported",
    )

    @field_validator("dpd_history")
    @classmethod
    def _dpd_non_negative(cls, value: list[int | None]) -> list[int | None]:
        if any(v is not None and v < 0 for v in value):
            raise ValueError("days past due cannot be negative")
        return value


class BureauEnquiry(BaseModel):
    """One credit enquiry on the file (a lender pulled the report)."""

    model_config = ConfigDict(extra="forbid")

    enquired_on: date
    purpose: str | None = None
    amount: Decimal | None = Field(default=None, ge=0)


class BureauReport(BaseModel):
    """A bureau's report on one PAN, normalised."""

    model_config = ConfigDict(extra="forbid")

    bureau: BureauName
    pan: str
    hit: bool
    score: int | None = Field(default=None, ge=300, le=900)
    report_date: date
    reference: str | None = Field(default=None, description="The bureau's own report/control number")
    accounts: list[BureauAccount] = Field(default_factory=list)
    enquiries: list[BureauEnquiry] = Field(default_factory=list)
    active_accounts: int = Field(ge=0)
    utilization: float | None = Field(default=None, ge=0)
    max_dpd_last_24m: int = Field(ge=0)
    dpd_30_last_12m: int = Field(ge=0)
    enquiries_last_6m: int = Field(ge=0)
    credit_history_months: int = Field(ge=0)
    written_off: bool
    settled: bool

    @field_validator("pan")
    @classmethod
    def _valid_pan(cls, value: str) -> str:
        return normalise_pan(value)

    @model_validator(mode="after")
    def _no_hit_is_empty(self) -> BureauReport:
        if not self.hit and (self.score is not None or self.accounts):
            raise ValueError("a no-hit report carries no score and no accounts")
        return self

    @classmethod
    def from_parts(
        cls,
        *,
        bureau: str,
        pan: str,
        hit: bool,
        score: int | None,
        report_date: date,
        accounts: Iterable[BureauAccount] = (),
        enquiries: Iterable[BureauEnquiry] = (),
        reference: str | None = None,
    ) -> BureauReport:
        """Build a report from parsed parts, computing every derived attribute (see module doc)."""
        accounts = list(accounts)
        enquiries = list(enquiries)
        active = [a for a in accounts if a.status == "active"]
        revolving = [a for a in active if a.account_type in REVOLVING_TYPES and a.sanctioned_amount > 0]
        basis = revolving or [a for a in active if a.sanctioned_amount > 0]
        utilization: float | None = None
        if basis:
            limit = sum((a.sanctioned_amount for a in basis), Decimal(0))
            balance = sum((max(a.current_balance, Decimal(0)) for a in basis), Decimal(0))
            utilization = float(round(balance / limit, 4))
        dpd_24 = [d for a in accounts for d in a.dpd_history[:24] if d is not None]
        dpd_12 = [d for a in accounts for d in a.dpd_history[:12] if d is not None]
        six_months_ago = add_months(report_date, -6)
        opened = [a.opened_on for a in accounts if a.opened_on is not None]
        return cls(
            bureau=bureau,  # type: ignore[arg-type]
            pan=pan,
            hit=hit,
            score=score,
            report_date=report_date,
            reference=reference,
            accounts=accounts,
            enquiries=enquiries,
            active_accounts=len(active),
            utilization=utilization,
            max_dpd_last_24m=max(dpd_24, default=0),
            dpd_30_last_12m=sum(1 for d in dpd_12 if d >= 30),
            enquiries_last_6m=sum(1 for e in enquiries if six_months_ago <= e.enquired_on <= report_date),
            credit_history_months=months_between(min(opened), report_date) if opened else 0,
            written_off=any(a.status == "written_off" for a in accounts),
            settled=any(a.status == "settled" for a in accounts),
        )

    @classmethod
    def no_hit(cls, *, bureau: str, pan: str, report_date: date, reference: str | None = None) -> BureauReport:
        """Build the report of a PAN the bureau has no record of."""
        return cls.from_parts(
            bureau=bureau, pan=pan, hit=False, score=None, report_date=report_date, reference=reference
        )

    def to_application_bureau(self) -> dict[str, Any]:
        """Return the §5 application ``bureau`` block (score and ``written_off`` None for a no-hit)."""
        block = {field: getattr(self, field) for field in BUREAU_NUMERIC_FIELDS}
        return block | {"written_off": (self.written_off or self.settled) if self.hit else None}
