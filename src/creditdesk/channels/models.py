"""What the channels domain stores: so far, each tenant's contact policy (the rest of issue #15 adds
provider settings, templates, messages and the consent ledger here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
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
