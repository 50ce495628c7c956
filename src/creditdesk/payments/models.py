"""The payments tables: per-tenant gateway credentials, payment links, gateway payments applied to loans.

Security invariant: ``payment_gateway_config.secrets`` maps ``key_secret`` and ``webhook_secret`` to
SecretBox ciphertexts bound to ``<tenant_id>/payments/<field>``; plain secrets exist only in memory,
inside a :class:`~creditdesk.payments.gateway.GatewayConfig`, for one call or one webhook verification.

Exactly-once invariant: ``gateway_payment`` holds one row per (tenant, gateway payment id), claimed
with an insert-or-nothing in the webhook's transaction before the payment reaches the loan, so a
replayed, duplicated or reordered webhook finds the row and changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, UniqueConstraint
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


class MandateRecord(IdMixin, CreatedMixin, Base):
    """An e-mandate (eNACH / UPI AutoPay) at the tenant's gateway, for an application's loan.

    ``status``: ``pending`` (registered, the sponsor bank has not answered) → ``active`` or ``rejected``
    (by webhook, or found by a look-up); ``cancelled`` by us. ``reference`` is the key it was registered
    with (the saga's step key), unique per tenant, so a retried registration finds it.
    """

    __tablename__ = "mandate"
    __table_args__ = (
        UniqueConstraint("tenant_id", "gateway_token_id", name="uq_mandate_gateway_token"),
        UniqueConstraint("tenant_id", "reference", name="uq_mandate_reference"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    reference: Mapped[str] = mapped_column(String(80))
    application_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    loan_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    gateway_token_id: Mapped[str] = mapped_column(String(40))
    gateway_customer_id: Mapped[str | None] = mapped_column(String(40), default=None)
    method: Mapped[str] = mapped_column(String(20))
    umrn: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    max_amount: Mapped[Decimal] = mapped_column(Money)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MandateDebitRecord(IdMixin, CreatedMixin, Base):
    """One instalment presented on a mandate: at most one row per (tenant, loan, instalment) — the claim.

    ``status``: ``scheduled`` (claimed, not yet at the gateway) → ``presented`` → ``paid`` or ``bounced``
    (with the NPCI return ``reason_code`` and ``reason``).
    """

    __tablename__ = "mandate_debit"
    __table_args__ = (
        UniqueConstraint("tenant_id", "loan_id", "instalment_seq"),
        Index("ix_mandate_debit_tenant_payment", "tenant_id", "gateway_payment_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    mandate_id: Mapped[str] = mapped_column(ForeignKey("mandate.id"), index=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("loan.id"))
    instalment_seq: Mapped[int]
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    gateway_payment_id: Mapped[str | None] = mapped_column(String(40), default=None)
    reason_code: Mapped[str | None] = mapped_column(String(10), default=None)
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    presented_at: Mapped[datetime | None] = mapped_column(default=None)
    settled_at: Mapped[datetime | None] = mapped_column(default=None)
