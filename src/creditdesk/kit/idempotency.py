"""``Idempotency-Key`` with Stripe's semantics.

The first request with a key stores its response; a repeat with the same body gets that response
again (``Idempotent-Replayed: true``); a repeat with a different body gets 409; keys expire after
24 hours. Concurrent requests with one key are serialised on the key's row (PostgreSQL waits on the
unique key of the in-flight insert; SQLite transactions take the write lock up front), so exactly one
of them does the work and the others replay it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from creditdesk.db import Base, utcnow
from creditdesk.errors import Conflict, ValidationFailed
from creditdesk.tenancy.scope import scoped, select_owned

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


def claim(session: Session, *, tenant_id: str, key: str, body_hash: str) -> dict[str, Any] | None:
    """Reserve ``key`` for this request; return the stored response to replay if it was already used."""
    if not 1 <= len(key) <= 255:
        raise ValidationFailed("Idempotency-Key must be 1–255 characters")
    now = utcnow()
    expired = delete(IdempotencyRecord).where(IdempotencyRecord.key == key, IdempotencyRecord.expires_at < now)
    session.execute(scoped(expired, IdempotencyRecord, tenant_id))
    values = {"tenant_id": tenant_id, "key": key, "request_hash": body_hash, "created_at": now, "expires_at": now + TTL}
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(IdempotencyRecord).values(**values)
    inserted = session.execute(stmt.on_conflict_do_nothing().returning(IdempotencyRecord.key)).first()
    if inserted is not None:
        return None
    existing = session.execute(
        select_owned(IdempotencyRecord, tenant_id).where(IdempotencyRecord.key == key)
    ).scalar_one()
    if existing.request_hash != body_hash:
        raise Conflict("This Idempotency-Key was already used with a different request body")
    if existing.response is None:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly")
    return existing.response


def store(session: Session, *, tenant_id: str, key: str, response: dict[str, Any], status_code: int = 201) -> None:
    """Attach the response to the reserved key (same transaction as the work)."""
    record = session.get(IdempotencyRecord, (tenant_id, key))
    assert record is not None, "claim() first"
    record.response = response
    record.status_code = status_code
