"""What the channels domain stores: each tenant's contact policy and provider accounts, the borrowers'
consent ledger, the message templates, the message log with each message's status history, and replies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin, utcnow
from creditdesk.kit.crypto import Sealed, sealed_field


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


class ChannelProviderRecord(IdMixin, CreatedMixin, Base):
    """A tenant's account at one channel's provider: where it is, its non-secret settings, its sealed secrets.

    ``settings`` holds what the connector needs besides secrets (base URL, account sid, DLT entity id and
    header, the WhatsApp number's id, the caller id, the mail server and its From address); ``secrets``
    the sealed credentials (:data:`CHANNEL_CREDENTIALS`), shown redacted and never returned.
    """

    __tablename__ = "channel_provider"
    __table_args__ = (UniqueConstraint("tenant_id", "channel", name="uq_channel_provider_tenant_channel"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    channel: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(20))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timeout_ms: Mapped[int] = mapped_column(default=10_000)
    #: what one message costs at this provider (an SMS segment, a WhatsApp conversation, a call minute)
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("0"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), default=None)


CHANNEL_CREDENTIALS = sealed_field(
    ChannelProviderRecord,
    "secrets",
    shape="map",
    label=lambda row, name: f"{row.tenant_id}/channels/{row.channel}/{name}",
)


class Message(IdMixin, CreatedMixin, Base):
    """One message (or call) to one person: queued → sent → delivered → read, or failed, or blocked.

    A blocked message is stored with the contact-policy rule that blocked it (``blocked_by``) and never
    leaves. ``variables`` (the values filled into the template: personal data, an OTP) are sealed.
    ``dedupe_key`` makes an automatic send idempotent (the same key is the same message).
    """

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key", name="uq_message_dedupe"),
        Index("ix_message_tenant_customer", "tenant_id", "customer_id", "created_at"),
        Index("ix_message_tenant_created", "tenant_id", "created_at"),
        Index("ix_message_tenant_loan", "tenant_id", "loan_id"),
        Index("ix_message_tenant_provider_id", "tenant_id", "provider_message_id"),
        Index("ix_message_tenant_recipient", "tenant_id", "recipient_hash", "created_at"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    loan_id: Mapped[str | None] = mapped_column(String(36), default=None)
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    template_id: Mapped[str] = mapped_column(String(36))
    template_name: Mapped[str] = mapped_column(String(80))
    template_version: Mapped[int] = mapped_column()
    language: Mapped[str] = mapped_column(String(8))
    variables: Mapped[dict[str, Any] | None] = mapped_column(Sealed("message.variables"), default=None)
    recipient_role: Mapped[str] = mapped_column(String(16), default="borrower")
    #: the address as the log shows it (a phone's last 4 digits, an e-mail's first letter and domain)
    recipient: Mapped[str | None] = mapped_column(String(80), default=None)
    #: a keyed hash of the address: a reply from it finds the message it answers, without the address
    recipient_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    initiated_by: Mapped[str] = mapped_column(String(16), default="agent")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    blocked_by: Mapped[str | None] = mapped_column(String(32), default=None)
    #: whether this send uses up the recipient's caps (policy.PolicyDecision.counts_toward_caps)
    counts_toward_caps: Mapped[bool] = mapped_column(default=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), default=None)
    provider: Mapped[str | None] = mapped_column(String(20), default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(120), default=None)
    segments: Mapped[int | None] = mapped_column(default=None)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 4), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    error: Mapped[str | None] = mapped_column(String(300), default=None)
    #: the message this one stands in for (an OTP's SMS after its WhatsApp failed)
    fallback_of: Mapped[str | None] = mapped_column(String(36), default=None)
    created_by: Mapped[str | None] = mapped_column(String(254), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


sealed_field(Message, "variables", shape="typed")


class MessageStatusEvent(IdMixin, CreatedMixin, Base):
    """One step of a message's status history (``at``: when the provider says it happened)."""

    __tablename__ = "message_status"
    __table_args__ = (Index("ix_message_status_message", "message_id", "at"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    message_id: Mapped[str] = mapped_column(ForeignKey("message.id"))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[str | None] = mapped_column(String(300), default=None)


class InboundMessage(IdMixin, CreatedMixin, Base):
    """A borrower's reply (or a call's keypresses): the intent it was read as, and the message it answers."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("tenant_id", "channel", "provider_message_id", name="uq_inbound_provider_id"),
        Index("ix_inbound_tenant_customer", "tenant_id", "customer_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    channel: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[str | None] = mapped_column(String(36), default=None)
    in_reply_to: Mapped[str | None] = mapped_column(String(36), default=None)
    #: the reply's text, sealed (a borrower's words are personal data)
    text: Mapped[str | None] = mapped_column(Sealed("inbound_message.text", text=True), default=None)
    intent: Mapped[str] = mapped_column(String(16))
    promise_date: Mapped[date | None] = mapped_column(Date, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


sealed_field(InboundMessage, "text", shape="typed")


class ContactPreference(IdMixin, CreatedMixin, Base):
    """A borrower's own contact rules: the times they asked to be reached in, and holds (a bereavement,
    a disaster) during which nobody contacts them. The contact policy reads them at every send."""

    __tablename__ = "contact_preference"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id", name="uq_contact_preference_customer"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    #: [{"start": "HH:MM", "end": "HH:MM", "channel": null | "sms" | …}]
    preferred_windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: [{"kind": "bereavement" | "disaster" | "other", "until": "YYYY-MM-DD" | null}]
    holds: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), default=None)
