"""What the channels domain stores: each tenant's contact policy, the borrowers' consent ledger and the
message templates (the rest of issue #15 adds provider settings and the message log here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
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


class MessageTemplate(IdMixin, CreatedMixin, Base):
    """One version of a template: (name, channel, language) names the template, ``version`` counts its texts.

    ``draft`` → ``approved`` (by someone other than its author: maker–checker) → ``retired`` when a newer
    version is approved. Only an approved version is ever sent; an approved text is never edited (a change
    makes the next version, a draft).
    """

    __tablename__ = "message_template"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", "channel", "language", "version", name="uq_message_template_version"),
        Index("ix_message_template_tenant_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    name: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    tone: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(200), default=None)
    #: name → {"type", "max_length"}
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dlt_template_id: Mapped[str | None] = mapped_column(String(19), default=None)
    whatsapp_category: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    #: who wrote this version's text (the maker): its approver must be someone else
    author_id: Mapped[str | None] = mapped_column(String(36), default=None)
    author: Mapped[str | None] = mapped_column(String(254), default=None)
    approved_by: Mapped[str | None] = mapped_column(String(254), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
