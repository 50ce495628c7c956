"""Borrower payloads: asking for a code, checking it, a session's tokens, the borrower's accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from creditdesk.auth.schemas import TokenPair
from creditdesk.channels.formatting import Language
from creditdesk.kit.crypto import INDIAN_MOBILE_PATTERN
from creditdesk.portfolio.schemas import AssetClassName, InstalmentRead
from creditdesk.tenancy.schemas import SLUG_PATTERN

__all__ = [
    "AccountDetail",
    "AccountList",
    "AccountRead",
    "CodeCheck",
    "CodeRequest",
    "CodeRequested",
    "SessionRefresh",
    "TokenPair",
]

Phone = Annotated[
    str,
    Field(
        pattern=INDIAN_MOBILE_PATTERN,
        max_length=20,
        description="An Indian mobile number: 10 digits from 6–9, optionally after +91, 91 or 0 (spaces, hyphens)",
        examples=["+91 98765 43210"],
    ),
]
Lender = Annotated[
    str, Field(pattern=SLUG_PATTERN, max_length=40, description="The lender's slug", examples=["demo-nbfc"])
]


class CodeRequest(BaseModel):
    """Ask for a sign-in code: answered 202 the same way whether or not the number (or the lender) is known."""

    model_config = ConfigDict(extra="forbid")

    tenant: Lender
    phone: Phone
    language: Language = Field(default="en", description="The language of the message that carries the code")


class CodeRequested(BaseModel):
    detail: str = Field(description="What happens next, in the same words for every number")
    expires_in: int = Field(description="Seconds a code stays valid")


class CodeCheck(BaseModel):
    """Sign in with the code received."""

    model_config = ConfigDict(extra="forbid")

    tenant: Lender
    phone: Phone
    code: str = Field(pattern=r"^[0-9]{6}$", description="The 6 digits received", examples=["123456"])


class SessionRefresh(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=4096)


class AccountRead(BaseModel):
    """One of the borrower's loans as it stands today (in the lender's time zone)."""

    id: str
    external_ref: str | None = Field(description="The lender's own reference for the loan (the account number)")
    purpose: str | None
    status: Literal["active", "closed", "not_disbursed"]
    as_of: date
    principal: Decimal = Field(description="The amount lent")
    annual_rate_pct: Decimal
    tenure_months: int
    emi: Decimal
    disbursed_on: date
    maturity_on: date
    outstanding_principal: Decimal = Field(description="Principal still to repay")
    overdue_amount: Decimal = Field(description="Instalments past their due date and not yet paid")
    next_due_on: date | None = Field(
        description="The due date of the oldest instalment not yet paid in full (in the past when it is overdue)"
    )
    next_due_amount: Decimal | None = Field(description="What is left to pay of that instalment")
    dpd: int = Field(description="Days past due")
    rbi_class: AssetClassName | None = Field(description="The RBI asset class (None once the loan is closed)")
    rbi_class_label: str | None = Field(description="e.g. SMA-1")
    standing: str = Field(description="Where the loan stands, in plain words")


class AccountList(BaseModel):
    items: list[AccountRead]


class AccountDetail(AccountRead):
    paid_amount: Decimal = Field(description="Everything paid so far")
    instalments: list[InstalmentRead]
