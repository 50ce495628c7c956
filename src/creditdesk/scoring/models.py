"""Policies, applications (each with its stored decision), idempotency records, batches.

Personal data invariant (docs/data-protection.md): the applicant's identifying fields
(:data:`IDENTITY_FIELDS`) never reach a table in clear. An application keeps them in ``identity``, one
SecretBox ciphertext bound to ``<tenant id>/application/<id>/identity``; ``request`` and ``inputs`` hold
the rest of the applicant block; ``pan_hash`` (a keyed hash) finds an applicant by PAN. A batch row's
input and error texts are sealed whole (:class:`Sealed`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin
from creditdesk.kit.crypto import Sealed, SecretBox, rehash_pan, sealed_field

#: The applicant fields that identify a person: sealed in ``application.identity``, never stored in clear.
IDENTITY_FIELDS = ("name", "pan", "date_of_birth", "phone", "email")


def split_identity(document: dict[str, Any] | None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Split a §5 body (or decision inputs) into the body without the identifying fields, and those fields."""
    if not document or not isinstance(document.get("applicant"), dict):
        return document, {}
    applicant = dict(document["applicant"])
    identity = {k: applicant.pop(k) for k in IDENTITY_FIELDS if k in applicant}
    return {**document, "applicant": applicant}, identity


def join_identity(
    document: dict[str, Any] | None, identity: dict[str, Any], *, with_empty: bool = True
) -> dict[str, Any] | None:
    """Put the identifying fields back first in the applicant block (``with_empty``: keep None values)."""
    if not document or not identity or not isinstance(document.get("applicant"), dict):
        return document
    fields = {k: v for k, v in identity.items() if with_empty or v is not None}
    return {**document, "applicant": {**fields, **document["applicant"]}}


def identity_aad(tenant_id: str, application_id: str) -> str:
    """The associated data that binds an application's sealed identity to its row."""
    return f"{tenant_id}/application/{application_id}/identity"


def open_identity(box: SecretBox, app: Any) -> dict[str, Any]:
    """The identifying fields of a stored application (an ORM row or a mapping of its columns)."""
    row = app if isinstance(app, dict) else {k: getattr(app, k) for k in ("identity", "tenant_id", "id")}
    token = row.get("identity")
    return box.open_json(token, identity_aad(row["tenant_id"], row["id"])) if token else {}


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
        Index("ix_application_tenant_pan", "tenant_id", "pan_hash"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    external_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    #: SecretBox ciphertext of the applicant's IDENTITY_FIELDS (bound to tenant/application/id)
    identity: Mapped[str | None] = mapped_column(Text, default=None)
    #: keyed hash of the PAN (``pan_hash``): lookups by PAN without storing it
    pan_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    batch_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    #: the request as sent, without IDENTITY_FIELDS (they are in ``identity``)
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
    #: the application block the decision was computed from (typed values with pulled bureau data merged
    #: in), without IDENTITY_FIELDS
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: pulled | no_record | supplied | unavailable | none (see scoring/pipeline.py)
    bureau_status: Mapped[str | None] = mapped_column(String(16), default=None)
    adverse_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)


APPLICATION_IDENTITY = sealed_field(
    Application, "identity", label=lambda app, _: identity_aad(app.tenant_id, app.id), after_reseal=rehash_pan
)


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
    #: the row's §5 body (or ``{"raw": …}``), sealed: it carries the applicant's PAN, phone and e-mail
    input: Mapped[dict[str, Any] | None] = mapped_column(Sealed("batch_row.input"), default=None)
    #: validation messages quote the values given (a mistyped phone is still a phone): sealed too
    parse_error: Mapped[str | None] = mapped_column(Sealed("batch_row.parse_error", text=True), default=None)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | failed
    application_id: Mapped[str | None] = mapped_column(String(36), default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Sealed("batch_row.error", text=True), default=None)


BATCH_ROW_INPUT = sealed_field(BatchRow, "input", shape="typed")
BATCH_ROW_PARSE_ERROR = sealed_field(BatchRow, "parse_error", shape="typed")
BATCH_ROW_ERROR = sealed_field(BatchRow, "error", shape="typed")
