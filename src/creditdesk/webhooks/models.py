"""Webhook endpoints and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin
from creditdesk.kit.crypto import sealed_field


class WebhookEndpoint(IdMixin, CreatedMixin, Base):
    """A tenant's receiver: URL, the event kinds it wants, and its signing secret (encrypted)."""

    __tablename__ = "webhook_endpoint"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    secret_last4: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)


#: an endpoint's signing secret, bound to ``<tenant_id>/webhook/<endpoint id>``
WEBHOOK_SECRET = sealed_field(
    WebhookEndpoint, "secret_ciphertext", label=lambda row, _: f"{row.tenant_id}/webhook/{row.id}"
)


class WebhookDelivery(IdMixin, CreatedMixin, Base):
    """One event for one endpoint. Unique per (event, endpoint): relaying an event twice delivers once."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_delivery_event_endpoint"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | delivered | failed
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    response_status: Mapped[int | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
