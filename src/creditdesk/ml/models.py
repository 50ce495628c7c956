"""The model registry table: versioned credit models per tenant plus platform defaults."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin


class CreditModel(IdMixin, CreatedMixin, Base):
    """One trained model version.

    Invariant: the artifact (LightGBM text or scorecard JSON + metadata) lives in the database with a
    SHA-256 checksum verified on every load — never a pickle — so every node scores with exactly the
    same model and every stored decision can be replayed by (model id, version).
    ``owner`` is the tenant id, or "platform" for a platform default (tenant_id NULL).
    """

    __tablename__ = "credit_model"
    __table_args__ = (
        UniqueConstraint("owner", "version", name="uq_credit_model_owner_version"),
        Index("ix_credit_model_tenant_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenant.id"), default=None)
    owner: Mapped[str] = mapped_column(String(36))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    algorithm: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|challenger|champion|retired
    traffic: Mapped[float] = mapped_column(default=0.0)  # challenger share of live decisions; 0 = shadow
    feature_set: Mapped[str] = mapped_column(String(20))  # "application" (can score applications) | "tabular"
    target: Mapped[str | None] = mapped_column(String(100), default=None)
    dataset: Mapped[str | None] = mapped_column(String(200), default=None)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # large columns load only when used (the decision path needs id, version and checksum)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    artifact_text: Mapped[str] = mapped_column(Text, deferred=True)
    artifact_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    checksum: Mapped[str] = mapped_column(String(80))
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    promoted_at: Mapped[datetime | None] = mapped_column(default=None)


class DatasetFile(IdMixin, CreatedMixin, Base):
    """An uploaded training dataset, kept in the database so any worker node can train on it."""

    __tablename__ = "dataset_file"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int]
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
