"""The approval → disbursement saga: one ``lending_saga`` row per application, one ``lending_saga_step`` per step.

The saga row holds what the steps produced (the sanction, the KFS issued and accepted, the e-sign
request and its certificate, the mandate, the payout, the loan) and the status of each of those side
effects, so a step re-run after a crash finds its own effect instead of making it twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow


class Saga(IdMixin, CreatedMixin, Base):
    """One application's way from approval to a booked loan.

    Invariant: at most one saga per (tenant, application) — the unique constraint, not a read-then-write,
    is what makes ten concurrent ``POST …/disbursement`` start one saga.
    """

    __tablename__ = "lending_saga"
    __table_args__ = (
        UniqueConstraint("tenant_id", "application_id", name="uq_lending_saga_application"),
        Index("ix_lending_saga_tenant_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    application_id: Mapped[str] = mapped_column(String(36))
    #: running | waiting | completed | compensating | compensated | failed
    status: Mapped[str] = mapped_column(String(16), default="running")
    #: the loan's terms as sanctioned: amount, tenure_months, interest_rate, borrower_name, reference
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: when a saga waiting on the borrower gives up and compensates
    deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    #: active | void
    sanction_status: Mapped[str | None] = mapped_column(String(16), default=None)
    sanctioned_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    #: issued | accepted | expired
    kfs_status: Mapped[str | None] = mapped_column(String(16), default=None)
    kfs: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    kfs_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    kfs_valid_until: Mapped[date | None] = mapped_column(default=None)
    kfs_accepted_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    kfs_accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    #: pending | signed | void
    agreement_status: Mapped[str | None] = mapped_column(String(16), default=None)
    esign_request_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    esign_certificate_id: Mapped[str | None] = mapped_column(String(64), default=None)
    esign_document_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    #: active | cancelled
    mandate_status: Mapped[str | None] = mapped_column(String(16), default=None)
    mandate_id: Mapped[str | None] = mapped_column(String(64), default=None)
    payout_id: Mapped[str | None] = mapped_column(String(64), default=None)
    payout_status: Mapped[str | None] = mapped_column(String(16), default=None)
    loan_id: Mapped[str | None] = mapped_column(String(36), default=None)


class SagaStep(IdMixin, Base):
    """One step of a saga: its status, attempts, times, last error and the key of its side effect."""

    __tablename__ = "lending_saga_step"
    __table_args__ = (UniqueConstraint("saga_id", "name", name="uq_lending_saga_step_name"),)

    saga_id: Mapped[str] = mapped_column(ForeignKey("lending_saga.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(16))
    #: pending | running | waiting | completed | failed | compensated
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    #: the idempotency key the side effect was made with (``<saga id>:<step>``)
    key: Mapped[str] = mapped_column(String(80))
    #: what the side effect produced, as the outside world names it (a sign request, a mandate, a payout, a loan)
    reference: Mapped[str | None] = mapped_column(String(80), default=None)
