"""The payments tables: per-tenant gateway credentials, payment links, gateway payments applied to loans.

Security invariant: ``payment_gateway_config.secrets`` maps ``key_secret`` and ``webhook_secret`` to
SecretBox ciphertexts bound to ``<tenant_id>/payments/<field>``; plain secrets exist only in memory,
inside a :class:`~creditdesk.payments.gateway.GatewayConfig`, for one call or one webhook verification.

Exactly-once invariant: ``gateway_payment`` holds one row per (tenant, gateway payment id), claimed
with an insert-or-nothing in the webhook's transaction before the payment reaches the loan, so a
replayed, duplicated or reordered webhook finds the row and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow
from creditdesk.kit.crypto import sealed_field
from creditdesk.payments.gateway import GatewayConfig

SECRET_FIELDS = ("key_secret", "webhook_secret")
Money = Numeric(14, 2)


class PaymentGatewayConfigRecord(IdMixin, CreatedMixin, Base):
    """One tenant's gateway account."""

    __tablename__ = "payment_gateway_config"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), unique=True)
    base_url: Mapped[str] = mapped_column(String(500))
    key_id: Mapped[str] = mapped_column(String(100))
    secrets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timeout_ms: Mapped[int] = mapped_column(default=10_000)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), default=None)


#: the gateway secrets of a tenant, bound to ``<tenant_id>/payments/<field>``
PAYMENT_GATEWAY_CREDENTIALS = sealed_field(
    PaymentGatewayConfigRecord, "secrets", shape="map", label=lambda row, name: f"{row.tenant_id}/payments/{name}"
)


def gateway_config(row: PaymentGatewayConfigRecord) -> GatewayConfig:
    """The connector's configuration of a stored row, its secrets opened."""
    opened = {name: PAYMENT_GATEWAY_CREDENTIALS.open(row, name) or "" for name in SECRET_FIELDS}
    stored = {"tenant_id": row.tenant_id, "base_url": row.base_url, "key_id": row.key_id, "timeout_ms": row.timeout_ms}
    return GatewayConfig.model_validate({**stored, **opened})


class PaymentLinkRecord(IdMixin, CreatedMixin, Base):
    """A payment link for a loan, created at the tenant's gateway (``gateway_link_id``)."""

    __tablename__ = "payment_link"
    __table_args__ = (UniqueConstraint("tenant_id", "gateway_link_id"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("loan.id"), index=True)
    gateway_link_id: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(500))
    amount: Mapped[Decimal] = mapped_column(Money)
    purpose: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="created")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class GatewayPaymentRecord(IdMixin, CreatedMixin, Base):
    """A payment the gateway reported, once per (tenant, gateway payment id), and what became of it.

    ``status``: ``applied`` (recorded on the loan as ``payment_id``), ``unmatched`` (no link or loan of
    this tenant), ``rejected`` (the loan refused it, ``detail`` says why).
    """

    __tablename__ = "gateway_payment"
    __table_args__ = (UniqueConstraint("tenant_id", "gateway_payment_id"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    gateway_payment_id: Mapped[str] = mapped_column(String(40))
    gateway_link_id: Mapped[str | None] = mapped_column(String(40), default=None)
    event_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    link_id: Mapped[str | None] = mapped_column(String(36), default=None)
    loan_id: Mapped[str | None] = mapped_column(String(36), default=None)
    payment_id: Mapped[str | None] = mapped_column(String(36), default=None)
    detail: Mapped[str | None] = mapped_column(String(300), default=None)
