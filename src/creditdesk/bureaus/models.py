"""Per-tenant bureau configurations (the credential store) and the tenant's merge rule.

Security invariant: ``secrets`` maps each secret field of the bureau (``BUREAU_SECRET_FIELDS``) to a
SecretBox ciphertext (``v1:<key id>:…``) whose associated data is ``<tenant_id>/<bureau>/<field>``
— a ciphertext copied to another tenant, bureau or field does not decrypt. Plain secrets exist only
in memory, for the duration of one bureau call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow
from creditdesk.kit.crypto import sealed_field


class BureauConfigRecord(IdMixin, CreatedMixin, Base):
    """One tenant's configuration for one bureau."""

    __tablename__ = "bureau_config"
    __table_args__ = (UniqueConstraint("tenant_id", "bureau"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))  # the unique (tenant, bureau) indexes it
    bureau: Mapped[str] = mapped_column(String(16))  # cibil | experian | crif
    enabled: Mapped[bool] = mapped_column(default=True)
    endpoint_url: Mapped[str] = mapped_column(String(500))
    member_id: Mapped[str] = mapped_column(String(100))
    secrets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timeout_ms: Mapped[int] = mapped_column(default=5000)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), default=None)


#: the credentials of a bureau configuration, bound to ``<tenant_id>/<bureau>/<field>``
BUREAU_CREDENTIALS = sealed_field(
    BureauConfigRecord, "secrets", shape="map", label=lambda row, name: f"{row.tenant_id}/{row.bureau}/{name}"
)


class BureauMergeRuleRecord(IdMixin, CreatedMixin, Base):
    """How a tenant merges several bureaus' reports into one application ``bureau`` block."""

    __tablename__ = "bureau_merge_rule"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), unique=True)
    strategy: Mapped[str] = mapped_column(String(16), default="conservative")
    priority: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), default=None)
