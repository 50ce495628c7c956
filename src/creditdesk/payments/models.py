"""Per-tenant payment gateway credentials (the table comes with migration 0011; nothing imports this yet).

Security invariant: ``secrets`` maps ``key_secret`` and ``webhook_secret`` to SecretBox ciphertexts
bound to ``<tenant_id>/payments/<field>``; plain secrets exist only in memory, inside a
:class:`~creditdesk.payments.gateway.GatewayConfig`, for one call or one webhook verification.

Not yet in ``models_registry`` and not yet migrated: registering the sealed field before its table
exists would make ``creditdesk keys rotate`` (and its test) look for a table that is not there. The
next step adds ``0011_payments.py``, imports this module in ``models_registry`` and seeds a value in
``tests/kit/test_sealed_registry.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow
from creditdesk.kit.crypto import sealed_field
from creditdesk.payments.gateway import GatewayConfig

SECRET_FIELDS = ("key_secret", "webhook_secret")


class PaymentGatewayConfigRecord(IdMixin, CreatedMixin, Base):
    """One tenant's gateway account."""

    __tablename__ = "payment_gateway_config"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), unique=True)
    base_url: Mapped[str] = mapped_column(String(500))
    key_id: Mapped[str] = mapped_column(String(100))
    secrets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timeout_ms: Mapped[int] = mapped_column(default=10_000)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


#: the gateway secrets of a tenant, bound to ``<tenant_id>/payments/<field>``
PAYMENT_GATEWAY_CREDENTIALS = sealed_field(
    PaymentGatewayConfigRecord, "secrets", shape="map", label=lambda row, name: f"{row.tenant_id}/payments/{name}"
)


def gateway_config(row: PaymentGatewayConfigRecord) -> GatewayConfig:
    """The connector's configuration of a stored row, its secrets opened."""
    opened = {name: PAYMENT_GATEWAY_CREDENTIALS.open(row, name) or "" for name in SECRET_FIELDS}
    stored = {"tenant_id": row.tenant_id, "base_url": row.base_url, "key_id": row.key_id, "timeout_ms": row.timeout_ms}
    return GatewayConfig.model_validate({**stored, **opened})
