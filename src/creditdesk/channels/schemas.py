"""Request and response bodies of the channels routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from creditdesk.channels.policy import ContactPolicy

#: what a tenant admin reads before letting WhatsApp carry collections content
WHATSAPP_COLLECTIONS_WARNING = (
    "WhatsApp's Business Messaging Policy prohibits using WhatsApp for debt collection. Turning this on lets "
    "collections templates go out on WhatsApp; the business account may be restricted or banned by WhatsApp. "
    "Reminders of a due date (utility templates) and OTPs (authentication templates) need no such switch."
)


class ContactPolicyUpdate(ContactPolicy):
    """``PUT …/contact-policy``: the whole policy. It may only tighten RBI's rules (see ``limits``)."""

    version: int | None = Field(
        default=None, ge=0, description="the version you read: 409 when it changed since (omit to overwrite)"
    )
    acknowledge_whatsapp_collections_warning: bool = Field(
        default=False, description="required to turn whatsapp_collections_enabled on (see the warning)"
    )


class ContactPolicyRead(ContactPolicy):
    """The tenant's contact policy, the loosest one it may save, and who changed it last."""

    version: int = Field(description="0 while the defaults apply")
    is_default: bool
    limits: ContactPolicy
    whatsapp_collections_warning: str = WHATSAPP_COLLECTIONS_WARNING
    updated_at: datetime | None
    updated_by: str | None
