"""Tenants (lenders) and users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin


class Tenant(IdMixin, CreatedMixin, Base):
    __tablename__ = "tenant"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | suspended
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Kolkata")
    #: the region whose database holds the tenant's data (docs/data-residency.md); fixed at creation
    data_region: Mapped[str] = mapped_column(String(32), default="default", server_default="default")
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class User(IdMixin, CreatedMixin, Base):
    """A person. ``tenant_id`` is None for platform-scoped users (platform_admin, platform risk_analyst)."""

    __tablename__ = "user_account"

    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenant.id"), index=True, default=None)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
