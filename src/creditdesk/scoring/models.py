"""Policies, applications (each with its stored decision), idempotency records, batches."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin


class Policy(IdMixin, CreatedMixin, Base):
    """One version of a tenant's credit policy; the newest version is in force."""

    __tablename__ = "policy"
    __table_args__ = (UniqueConstraint("tenant_id", "version", name="uq_policy_tenant_version"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    version: Mapped[int]
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)


class Application(IdMixin, CreatedMixin, Base):
    """An application and the decision made on it.

    Invariant: a stored decision names the model (id, version) and policy version that made it and
    keeps the features it was computed from, so it can be replayed exactly.
    """

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_tenant_created", "tenant_id", "created_at"),
        Index("ix_application_tenant_ref", "tenant_id", "external_ref"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    external_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    applicant_name: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    batch_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    loan_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    pd: Mapped[float]
    score: Mapped[int]
    credit_score: Mapped[int]
    decision: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    positive_factors: Mapped[list[str]] = mapped_column(JSON, default=list)
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    base_value: Mapped[float]
    expected_loss: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    model_id: Mapped[str] = mapped_column(String(36))
    model_version: Mapped[int]
    policy_version: Mapped[int]
    knockouts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    bureau_reports: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    challenger: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: the application block the decision was computed from (typed values with pulled bureau data merged in)
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: pulled | no_record | supplied | unavailable | none (see scoring/pipeline.py)
    bureau_status: Mapped[str | None] = mapped_column(String(16), default=None)
    adverse_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)


class Batch(IdMixin, CreatedMixin, Base):
    """An uploaded batch of applications scored by a job."""

    __tablename__ = "batch"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    job_id: Mapped[str] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(8))
    rows: Mapped[int]
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)


class BatchRow(Base):
    """One input row of a batch and, once scored, its outcome. Rows are scored in committed chunks,
    so a batch interrupted by a crash resumes where it stopped and loses nothing."""

    __tablename__ = "batch_row"

    batch_id: Mapped[str] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True)
    row_number: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    input: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    parse_error: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | failed
    application_id: Mapped[str | None] = mapped_column(String(36), default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
