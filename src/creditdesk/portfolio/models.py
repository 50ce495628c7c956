"""The loan book: customers, loans, their instalment schedules, payments, collateral and guarantors.

Money invariant: every amount is ``Numeric(14, 2)`` in SQL and ``Decimal`` in Python, in rupees to
the paisa. Instalments are the contract (what is due when); payments are the ledger (what arrived
when). Everything else — days past due, RBI asset class, outstanding principal, arrears — is
*derived* from those two as of a date (``creditdesk.portfolio.book``), so any past date can be
recomputed exactly and a back-dated payment corrects history instead of leaving a stale flag.

Personal data invariant (docs/data-protection.md): a customer's and a guarantor's identifying fields
(name, PAN, phone, e-mail, date of birth) are one SecretBox ciphertext in ``identity``, bound to
``<tenant id>/<table>/<id>/identity``; a customer's PAN is found by its keyed hash ``pan_hash``, and their
mobile number by ``phone_hash`` (how a borrower signing in by OTP is found, ``creditdesk.borrowers``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow
from creditdesk.kit.crypto import SecretBox, pan_hash, phone_hash, rehash_pan, rehash_phone, sealed_field

Money = Numeric(14, 2)

#: The fields of a customer that identify a person (sealed in ``customer.identity``).
CUSTOMER_IDENTITY = ("name", "pan", "phone", "email", "date_of_birth")
#: The fields of a guarantor that identify a person (sealed in ``guarantor.identity``).
GUARANTOR_IDENTITY = ("name", "pan", "phone")


def identity_aad(table: str, tenant_id: str, row_id: str) -> str:
    """The associated data that binds a sealed identity to its row."""
    return f"{tenant_id}/{table}/{row_id}/identity"


def seal_identity(
    box: SecretBox, *, table: str, tenant_id: str, row_id: str, values: dict[str, Any], fields: tuple[str, ...]
) -> dict[str, Any]:
    """Split ``values`` into the row's columns: the identifying ``fields`` sealed, the rest as they are.

    Returns the column values (``identity`` and, for customers, ``pan_hash`` and ``phone_hash`` included).
    """
    identity = {k: values[k] for k in fields if values.get(k) is not None}
    columns = {k: v for k, v in values.items() if k not in fields}
    columns["identity"] = box.seal_json(identity, identity_aad(table, tenant_id, row_id))
    if table == "customer":
        columns["pan_hash"] = pan_hash(box, tenant_id, values.get("pan"))
        columns["phone_hash"] = phone_hash(box, tenant_id, values.get("phone"))
    return columns


def open_identity(box: SecretBox, row: Customer | Guarantor) -> dict[str, Any]:
    """The identifying fields of a customer or guarantor row (``date_of_birth`` as an ISO date string)."""
    if not row.identity:
        return {}
    identity: dict[str, Any] = box.open_json(row.identity, identity_aad(row.__tablename__, row.tenant_id, row.id))
    return identity


class Customer(IdMixin, CreatedMixin, Base):
    """A borrower (one row per PAN per tenant when the PAN is known)."""

    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("tenant_id", "pan_hash"),
        Index("ix_customer_tenant_phone", "tenant_id", "phone_hash"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    #: SecretBox ciphertext of CUSTOMER_IDENTITY (name, PAN, phone, e-mail, date of birth)
    identity: Mapped[str] = mapped_column(Text)
    #: keyed hash of the PAN (kit.crypto.pan_hash): one customer per PAN per tenant, found without the PAN
    pan_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    #: keyed hash of the Indian mobile number (kit.crypto.phone_hash), None without one; not unique (a shared phone)
    phone_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    external_ref: Mapped[str | None] = mapped_column(String(64), default=None)
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
    #: SecretBox ciphertext of GUARANTOR_IDENTITY (name, PAN, phone)
    identity: Mapped[str] = mapped_column(Text)
    relationship: Mapped[str | None] = mapped_column(String(40), default=None)
    monthly_income: Mapped[Decimal | None] = mapped_column(Money, default=None)


def _rehash_customer(box: SecretBox, row: Customer, identity: str) -> None:
    """After a key rotation: the customer's PAN and phone hashes under the new key."""
    rehash_pan(box, row, identity)
    rehash_phone(box, row, identity)


CUSTOMER_IDENTITY_FIELD = sealed_field(
    Customer,
    "identity",
    label=lambda row, _: identity_aad("customer", row.tenant_id, row.id),
    after_reseal=_rehash_customer,
)
GUARANTOR_IDENTITY_FIELD = sealed_field(
    Guarantor, "identity", label=lambda row, _: identity_aad("guarantor", row.tenant_id, row.id)
)


class Charge(IdMixin, CreatedMixin, Base):
    """A charge levied on a loan: ``bounce`` (a returned mandate debit) or ``penal``.

    Money invariant (RBI DoR.MCS.REC.28/01.01.001/2023-24): a charge is a flat amount in its own ledger,
    never added to principal and bearing no interest. ``source`` names what levied it (``debit:<id>``),
    unique per tenant, so a replayed bounce levies once. ``paid_amount`` is what the book allocated to it
    by the last day-end (payments are allocated by ``book.Book._allocate``; this is its record).
    """

    __tablename__ = "charge"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source"),
        Index("ix_charge_tenant_loan", "tenant_id", "loan_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    loan_id: Mapped[str] = mapped_column(ForeignKey("loan.id"))
    kind: Mapped[str] = mapped_column(String(10))  # bounce | penal
    amount: Mapped[Decimal] = mapped_column(Money)
    levied_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    source: Mapped[str | None] = mapped_column(String(80), default=None)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))


class LoanDayEnd(IdMixin, Base):
    """A loan's position as the last day-end recorded it (one row per loan): what ``loan.dpd_changed`` compares to."""

    __tablename__ = "loan_day_end"
    __table_args__ = (UniqueConstraint("tenant_id", "loan_id"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    loan_id: Mapped[str] = mapped_column(ForeignKey("loan.id"))
    as_of: Mapped[date] = mapped_column(Date)
    dpd: Mapped[int] = mapped_column(default=0)
    bucket: Mapped[str] = mapped_column(String(10))
    asset_class: Mapped[str | None] = mapped_column(String(16), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
