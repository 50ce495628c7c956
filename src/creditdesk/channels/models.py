"""What the channels domain stores: each tenant's contact policy and the borrowers' consent ledger (the
rest of issue #15 adds provider settings, templates and the message log here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow


class ContactPolicyRecord(IdMixin, CreatedMixin, Base):
    """A tenant's contact policy (``channels.policy.ContactPolicy`` as JSON); none stored means the defaults."""

    __tablename__ = "contact_policy"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), unique=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: bumped by every change: an editor sends back the version it read (409 when someone saved meanwhile)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), default=None)


class ConsentEvent(IdMixin, CreatedMixin, Base):
    """One entry of a borrower's consent ledger: append-only, the latest entry per key decides.

    ``action`` is ``granted``/``withdrawn`` for a purpose on a channel (``purpose`` set), or
    ``opted_out``/``opted_in`` for a channel or ``all`` channels (``purpose`` NULL: every purpose).
    """

    __tablename__ = "consent_event"
    __table_args__ = (Index("ix_consent_event_tenant_customer", "tenant_id", "customer_id", "created_at"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(String(16), default=None)
    action: Mapped[str] = mapped_column(String(16))
    #: how we learnt it: portal, api, a reply on a channel (sms_reply, whatsapp_reply, …), the borrower app
    source: Mapped[str] = mapped_column(String(20))
    #: what shows it: a message id, a call id, a note (no personal data beyond what the ledger needs)
    evidence: Mapped[str | None] = mapped_column(String(500), default=None)
    recorded_by: Mapped[str | None] = mapped_column(String(254), default=None)
