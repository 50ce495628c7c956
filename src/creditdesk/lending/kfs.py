"""The Key Fact Statement (KFS) of a loan: a typed model built from its terms, with its APR and hash.

The contents follow the standard format of RBI's circular *Key Facts Statement (KFS) for Loans &
Advances* (RBI/2024-25/18, DOR.STR.REC.13/13.03.00/2024-25, 15 April 2024): part 1 — the amount, the
tenure, the instalments, the interest rate, the fees and charges (to the lender and to third parties,
GST shown), the APR and the contingent charges; part 2 — recovery agents, grievance redressal, the
cooling-off (look-up) period; and the repayment schedule. The repayment schedule is the portfolio's
:func:`~creditdesk.portfolio.schedule.amortisation_schedule` — the same rows the loan will be booked with.

What varies by lender (its name, the grievance redressal officer, the cooling-off period, how long
the KFS stays open for acceptance) is a :class:`KfsSettings`, a tenant setting with defaults.

The ``content_hash`` is the SHA-256 of the statement's canonical JSON (sorted keys, no spaces, the hash
itself left out): the document the borrower accepts and e-signs is identified by it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from creditdesk.kit.crypto import sha256_hex
from creditdesk.kit.money import Money, PositiveMoney
from creditdesk.lending.apr import AprError, Charge, annual_percentage_rate, loan_cash_flows
from creditdesk.portfolio.schedule import add_months, amortisation_schedule, money
from creditdesk.tenancy import clock

DEFAULT_RECOVERY_STATEMENT = (
    "We may engage recovery agents to collect overdue amounts. Every agent carries an authorisation "
    "letter and identity card from us, follows our code of conduct, contacts you only between 08:00 and "
    "19:00, and may not threaten, harass or shame you or your family. You will be told the agent's name "
    "and agency before any visit. Complaints about an agent go to the grievance redressal officer below."
)

Rate = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)]


class GrievanceOfficer(BaseModel):
    """The lender's grievance redressal officer (named in the KFS, part 2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    designation: str = Field(default="Grievance Redressal Officer", max_length=120)
    phone: str = Field(min_length=6, max_length=20)
    email: EmailStr


class ContingentCharge(BaseModel):
    """A charge payable only if something happens (a late payment, a bounce, a foreclosure)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    terms: str = Field(min_length=1, max_length=300)


class KfsSettings(BaseModel):
    """A tenant's KFS settings; the defaults serve a tenant that has set none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lender_name: str = Field(default="CreditDesk Lender", min_length=1, max_length=200)
    cooling_off_days: int = Field(default=3, ge=1, le=30)
    validity_working_days: int = Field(default=3, ge=1, le=30)
    grievance_officer: GrievanceOfficer = GrievanceOfficer(
        name="Grievance Redressal Officer", phone="1800-000-0000", email="grievance@example.com"
    )
    recovery_agents: str = Field(default=DEFAULT_RECOVERY_STATEMENT, min_length=1, max_length=2000)
    contingent_charges: tuple[ContingentCharge, ...] = (
        ContingentCharge(
            name="Penal charges on delayed payment", terms="2% p.a. on the overdue instalment, not compounded"
        ),
        ContingentCharge(name="Mandate or cheque bounce", terms="₹500 plus GST per instance"),
        ContingentCharge(
            name="Foreclosure", terms="Nil for individuals on a floating rate; 2% of principal outstanding otherwise"
        ),
    )


class LoanTerms(BaseModel):
    """The sanctioned terms the KFS states."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str = Field(min_length=1, max_length=64)
    borrower_name: str = Field(min_length=1, max_length=200)
    product: str = Field(default="Personal loan", min_length=1, max_length=120)
    amount: PositiveMoney
    tenure_months: int = Field(ge=1, le=600)
    interest_rate: Rate
    rate_type: Literal["fixed", "floating"] = "fixed"
    charges: tuple[Charge, ...] = ()
    disbursal_on: date | None = None
    first_due_on: date | None = None


class KfsCharge(BaseModel):
    """A charge as the KFS lists it."""

    name: str
    payable_to: Literal["lender", "third_party"]
    recurrence: Literal["one_time", "recurring"]
    collected: str
    amount: Money
    gst: Money
    total: Money


class KfsInstalment(BaseModel):
    """One row of the repayment schedule."""

    seq: int
    due_on: date
    opening_balance: Money
    principal: Money
    interest: Money
    instalment: Money
    closing_balance: Money


class KeyFactStatement(BaseModel):
    """The Key Fact Statement: JSON for the API, the source of the PDF, hashed for acceptance and e-sign."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    lender_name: str
    reference: str
    borrower_name: str
    product: str
    generated_on: date
    valid_until: date
    sanctioned_amount: Money
    disbursal: str
    disbursal_on: date
    tenure_months: int
    instalment_type: Literal["monthly"] = "monthly"
    instalment_count: int
    emi: Money
    first_due_on: date
    interest_rate: Decimal
    rate_type: Literal["fixed", "floating"]
    charges: list[KfsCharge]
    upfront_charges: Money
    net_disbursed_amount: Money
    total_interest: Money
    total_charges: Money
    total_amount_payable: Money
    apr: Decimal = Field(description="all-in annual cost of credit, percent per annum (monthly IRR × 12)")
    contingent_charges: list[ContingentCharge]
    cooling_off_days: int
    recovery_agents: str
    grievance_officer: GrievanceOfficer
    schedule: list[KfsInstalment]
    content_hash: str = ""

    def canonical_json(self) -> str:
        """The statement as canonical JSON (sorted keys, compact, UTF-8), the hash left out."""
        body: dict[str, Any] = self.model_dump(mode="json", exclude={"content_hash"})
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def computed_hash(self) -> str:
        """The SHA-256 (hex) of the canonical JSON."""
        return sha256_hex(self.canonical_json())


def _add_working_days(day: date, days: int) -> date:
    """``days`` working days (Monday–Friday) after ``day``; public holidays are not known here."""
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _kfs_charges(charges: Sequence[Charge]) -> list[KfsCharge]:
    return [
        KfsCharge(
            name=c.name,
            payable_to=c.payable_to,
            recurrence=c.recurrence,
            collected="deducted from the disbursement" if c.upfront else f"with instalment {c.collected_with}",
            amount=c.amount,
            gst=c.gst,
            total=c.total,
        )
        for c in charges
    ]


def build_kfs(
    terms: LoanTerms,
    *,
    settings: KfsSettings | None = None,
    where: clock.Where = None,
    today: date | None = None,
) -> KeyFactStatement:
    """Build the KFS of ``terms``: schedule, charges, APR, the tenant's part-2 facts, the content hash.

    ``today`` defaults to the tenant's local date (``where`` is the tenant or its zone); the loan is
    taken as disbursed that day unless ``terms`` say otherwise, the first instalment one month later.
    """
    kfs_settings = settings or KfsSettings()
    generated_on = today or clock.today(where)
    disbursal_on = terms.disbursal_on or generated_on
    first_due_on = terms.first_due_on or add_months(disbursal_on, 1)
    if first_due_on <= disbursal_on:
        raise AprError("the first instalment must fall due after the disbursement")
    rows = amortisation_schedule(terms.amount, terms.interest_rate, terms.tenure_months, first_due_on)
    flows = loan_cash_flows(principal=terms.amount, instalments=[r.amount for r in rows], charges=terms.charges)
    apr = annual_percentage_rate(flows)
    upfront = sum((c.total for c in terms.charges if c.upfront), Decimal(0))
    total_charges = sum((c.total for c in terms.charges), Decimal(0))
    total_interest = sum((r.interest for r in rows), Decimal(0))
    kfs = KeyFactStatement(
        lender_name=kfs_settings.lender_name,
        reference=terms.reference,
        borrower_name=terms.borrower_name,
        product=terms.product,
        generated_on=generated_on,
        valid_until=_add_working_days(generated_on, kfs_settings.validity_working_days),
        sanctioned_amount=money(terms.amount),
        disbursal="100% upfront",
        disbursal_on=disbursal_on,
        tenure_months=terms.tenure_months,
        instalment_count=len(rows),
        emi=rows[0].amount,
        first_due_on=first_due_on,
        interest_rate=terms.interest_rate,
        rate_type=terms.rate_type,
        charges=_kfs_charges(terms.charges),
        upfront_charges=upfront,
        net_disbursed_amount=flows.net_disbursed,
        total_interest=total_interest,
        total_charges=total_charges,
        total_amount_payable=money(terms.amount) + total_interest + total_charges,
        apr=apr.apr,
        contingent_charges=list(kfs_settings.contingent_charges),
        cooling_off_days=kfs_settings.cooling_off_days,
        recovery_agents=kfs_settings.recovery_agents,
        grievance_officer=kfs_settings.grievance_officer,
        schedule=[
            KfsInstalment(
                seq=r.seq,
                due_on=r.due_on,
                opening_balance=r.closing_balance + r.principal,
                principal=r.principal,
                interest=r.interest,
                instalment=r.amount,
                closing_balance=r.closing_balance,
            )
            for r in rows
        ],
    )
    return kfs.model_copy(update={"content_hash": kfs.computed_hash()})
