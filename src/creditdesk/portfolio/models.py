"""The loan book: customers, loans, their instalment schedules, payments, collateral and guarantors.

Money invariant: every amount is ``Numeric(14, 2)`` in SQL and ``Decimal`` in Python, in rupees to
the paisa. Instalments are the contract (what is due when); payments are the ledger (what arrived
when). Everything else — days past due, RBI asset class, outstanding principal, arrears — is
*derived* from those two as of a date (``creditdesk.portfolio.book``), so any past date can be
recomputed exactly and a back-dated payment corrects history instead of leaving a stale flag.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow

Money = Numeric(14, 2)


class Customer(IdMixin, CreatedMixin, Base):
    """A borrower (one row per PAN per tenant when the PAN is known)."""

    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("tenant_id", "pan"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    pan: Mapped[str | None] = mapped_column(String(10), default=None)
    external_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    employment_type: Mapped[str | None] = mapped_column(String(20), default=None)
    monthly_income: Mapped[Decimal | None] = mapped_column(Money, default=None)
    existing_emi: Mapped[Decimal | None] = mapped_column(Money, default=None)
    state: Mapped[str | None] = mapped_column(String(60), default=None)


class Loan(IdMixin, CreatedMixin, Base):
    """A disbursed loan. ``status`` is the current state (active | closed); classification is derived."""

    __tablename__ = "loan"
    __table_args__ = (
        UniqueConstraint("tenant_id", "application_id"),
        Index("ix_loan_tenant_disbursed", "tenant_id", "disbursed_on"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    application_id: Mapped[str | None] = mapped_column(String(36), default=None)
    external_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    purpose: Mapped[str | None] = mapped_column(String(30), default=None)
    principal: Mapped[Decimal] = mapped_column(Money)
    annual_rate_pct: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    tenure_months: Mapped[int] = mapped_column()
    emi: Mapped[Decimal] = mapped_column(Money)
    disbursed_on: Mapped[date] = mapped_column(Date)
    first_due_on: Mapped[date] = mapped_column(Date)
    maturity_on: Mapped[date] = mapped_column(Date)
    pd_at_origination: Mapped[float | None] = mapped_column(default=None)
    model_id: Mapped[str | None] = mapped_column(String(36), default=None)
    model_version: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    loss_marked_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Instalment(IdMixin, Base):
    """One scheduled EMI: due date and its interest / principal split (the last one absorbs rounding)."""

    __tablename__ = "instalment"
    __table_args__ = (UniqueConstraint("loan_id", "seq"), Index("ix_instalment_tenant_loan", "tenant_id", "loan_id"))

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    loan_id: Mapped[str] = mapped_column(ForeignKey("loan.id"))
    seq: Mapped[int] = mapped_column()
    due_on: Mapped[date] = mapped_column(Date)
    principal: Mapped[Decimal] = mapped_column(Money)
    interest: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    closing_balance: Mapped[Decimal] = mapped_column(Money)


class Payment(IdMixin, CreatedMixin, Base):
    """Money received against a loan. ``reference`` is unique per tenant: a replay never counts twice."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference"),
        Index("ix_payment_tenant_loan", "tenant_id", "loan_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    loan_id: Mapped[str] = mapped_column(ForeignKey("loan.id"))
    reference: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str | None] = mapped_column(String(20), default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)


class Collateral(IdMixin, CreatedMixin, Base):
    """Security against a loan (its value drives LTV)."""

    __tablename__ = "collateral"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("loan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # vehicle | property | gold | deposit | equipment | other
    description: Mapped[str | None] = mapped_column(String(200), default=None)
    value: Mapped[Decimal] = mapped_column(Money)
    valued_on: Mapped[date | None] = mapped_column(Date, default=None)


class Guarantor(IdMixin, CreatedMixin, Base):
    """A person who guarantees a loan."""

    __tablename__ = "guarantor"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("loan.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    pan: Mapped[str | None] = mapped_column(String(10), default=None)
    relationship: Mapped[str | None] = mapped_column(String(40), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    monthly_income: Mapped[Decimal | None] = mapped_column(Money, default=None)
