"""One-time sign-in codes and borrowers' sessions.

Security invariants (docs/borrowers.md):
- A code is never stored: only its keyed hash (HMAC under the key ring, bound to the row), like a PAN's.
- A phone number is never stored: only its keyed hash in the tenant (``kit.crypto.phone_hash``), the one
  a customer's row keeps; the asking address likewise, under a platform scope.
- Every code request leaves a row, for a known phone or not (``customer_id`` NULL), for a known lender or
  not (``tenant_id`` NULL): an unknown phone costs what a known one does, and is checked the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin


class BorrowerOtp(IdMixin, CreatedMixin, Base):
    """One code asked for. Only the newest code of a (tenant, phone) can be used; it dies after one use,
    at ``expires_at``, or after the maximum of wrong attempts."""

    __tablename__ = "borrower_otp"
    __table_args__ = (
        Index("ix_borrower_otp_tenant_phone", "tenant_id", "phone_hash", "created_at"),
        Index("ix_borrower_otp_tenant_created", "tenant_id", "created_at"),
    )

    #: None when the lender named does not exist (the request is stored all the same)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenant.id"), default=None)
    phone_hash: Mapped[str] = mapped_column(String(64))
    #: the customer the code was sent to; None for a phone number the lender does not know
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customer.id"), default=None)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    ip_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    #: the message that carried the code (channels' message log), when one was sent
    message_id: Mapped[str | None] = mapped_column(String(36), default=None)


class BorrowerRefreshToken(CreatedMixin, Base):
    """One issued refresh token of a borrower's session; tokens of one sign-in share ``family_id``, and a
    reused one revokes the family (as ``auth.models.RefreshToken`` does for staff)."""

    __tablename__ = "borrower_refresh_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
