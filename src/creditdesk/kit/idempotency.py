"""``Idempotency-Key`` with Stripe's semantics.

The first request with a key stores its response; a repeat with the same body gets that response
again (``Idempotent-Replayed: true``); a repeat with a different body gets 409; keys expire after
24 hours. The record is written in the same transaction as the work, with the response in it
(``scoring/pipeline.py``): concurrent first uses of one key race on the key's primary key —
PostgreSQL makes the later insert wait for the earlier transaction, SQLite's writer holds the write
lock — so exactly one of them stores its work and the others replay it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from creditdesk.db import Base, utcnow
from creditdesk.errors import Conflict
from creditdesk.tenancy.scope import select_owned

TTL = timedelta(hours=24)


class IdempotencyRecord(Base):
    """The stored first response to an idempotency key."""

    __tablename__ = "idempotency_record"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(default=201)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


def request_hash(body: Any) -> str:
    """Hash a JSON-able request body canonically."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def lookup(session: Session, *, tenant_id: str, key: str, body_hash: str) -> dict[str, Any] | None:
    """The stored response to replay for a used, unexpired key (409 for another body); None if unused."""
    stmt = select_owned(IdempotencyRecord, tenant_id).where(
        IdempotencyRecord.key == key, IdempotencyRecord.expires_at >= utcnow()
    )
    existing = session.execute(stmt).scalar_one_or_none()
    if existing is None or existing.response is None:
        return None
    if existing.request_hash != body_hash:
        raise Conflict("This Idempotency-Key was already used with a different request body")
    return existing.response
