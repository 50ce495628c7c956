"""Monitoring alerts, per-tenant monitoring thresholds and dashboard embedding settings.

Alert invariant: at most one *open* (unresolved) alert per tenant, kind and subject — enforced by a
partial unique index, so two evaluations racing each other still raise it once. An acknowledged
alert stays open (the condition still holds) until an evaluation finds the condition cleared.

Secret invariant: ``DashboardEmbed.secrets`` holds SecretBox ciphertexts bound to
``<tenant_id>/dashboards/<field>``; the plain service-principal secret exists only in memory for
the duration of one token exchange and is never returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow
from creditdesk.kit.crypto import sealed_field


class MonitoringAlert(IdMixin, CreatedMixin, Base):
    """A raised monitoring condition: drift, NPA ratio above threshold, approval-rate swing."""

    __tablename__ = "monitoring_alert"
    __table_args__ = (
        Index(
            "uq_monitoring_alert_open",
            "tenant_id",
            "kind",
            "subject",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_monitoring_alert_tenant_created", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    kind: Mapped[str] = mapped_column(String(32))  # drift | npa_ratio | approval_rate_swing
    subject: Mapped[str] = mapped_column(String(64))  # e.g. the drifting feature, "score", "portfolio"
    level: Mapped[str] = mapped_column(String(16))  # warning | critical
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(36), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class MonitoringSettings(IdMixin, CreatedMixin, Base):
    """A tenant's monitoring thresholds (defaults apply until the tenant changes them)."""

    __tablename__ = "monitoring_settings"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), unique=True)
    drift_warn_psi: Mapped[float] = mapped_column(default=0.10)
    drift_alert_psi: Mapped[float] = mapped_column(default=0.25)
    drift_window_days: Mapped[int] = mapped_column(default=30)
    drift_min_applications: Mapped[int] = mapped_column(default=100)
    npa_ratio_threshold: Mapped[float] = mapped_column(default=0.05)
    approval_swing_threshold: Mapped[float] = mapped_column(default=0.10)
    approval_swing_window_days: Mapped[int] = mapped_column(default=7)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), default=None)


class DashboardEmbed(IdMixin, CreatedMixin, Base):
    """How a tenant embeds dashboards: the native pages, or a Power BI report (service principal)."""

    __tablename__ = "dashboard_embed"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(16), default="native")  # native | powerbi
    report_id: Mapped[str | None] = mapped_column(String(100), default=None)
    workspace_id: Mapped[str | None] = mapped_column(String(100), default=None)
    embed_url: Mapped[str | None] = mapped_column(String(500), default=None)
    client_id: Mapped[str | None] = mapped_column(String(100), default=None)
    directory_id: Mapped[str | None] = mapped_column(String(100), default=None)  # the Azure AD tenant
    authority_url: Mapped[str | None] = mapped_column(String(500), default=None)
    api_url: Mapped[str | None] = mapped_column(String(500), default=None)
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    secrets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), default=None)


#: the Power BI service-principal secret (and any later one), bound to ``<tenant_id>/dashboards/<field>``
DASHBOARD_SECRETS = sealed_field(
    DashboardEmbed, "secrets", shape="map", label=lambda row, name: f"{row.tenant_id}/dashboards/{name}"
)
