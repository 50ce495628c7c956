"""``Idempotency-Key`` with Stripe's semantics.

The first request with a key stores its response; a repeat with the same body gets that response
again (``Idempotent-Replayed: true``); a repeat with a different body gets 409; keys expire after
24 hours. The record is written in the same transaction as the work, with the response in it
(:func:`claim`, called by ``scoring/pipeline.py``): concurrent first uses of one key race on the key's
primary key — PostgreSQL makes the later insert wait for the earlier transaction, SQLite's writer
holds the write lock — so exactly one of them stores its work and the others replay it.

Request bodies hold personal data (a PAN), so they are identified by a keyed hash under the tenant's
personal-data key ring (a plain hash of a PAN could be brute-forced); after a key rotation a repeat
still matches the hash made under the older key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from creditdesk.db import insert_into, utcnow
from creditdesk.errors import Conflict, ValidationFailed
from creditdesk.idempotency.models import MAX_KEY_LENGTH, IdempotencyRecord
from creditdesk.kit.crypto import personal_data_box
from creditdesk.tenancy.scope import select_owned

TTL = timedelta(hours=24)
REUSED = "This Idempotency-Key was already used with a different request body"


def request_hashes(tenant_id: str, payload: dict[str, Any]) -> list[str]:
    """Keyed hashes of a JSON-able request body, the active key's first."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return personal_data_box().keyed_hashes(canonical, f"{tenant_id}/idempotency")


def request_key(tenant_id: str, key: str | None, payload: dict[str, Any]) -> tuple[str, str] | None:
    """The (key, body hash) a request claims; None without a key, 422 for a key of the wrong length."""
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed(f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} characters")
    return key, request_hashes(tenant_id, payload)[0]


def lookup(session: Session, *, tenant_id: str, key: str, body_hashes: Sequence[str]) -> dict[str, Any] | None:
    """The stored response to replay for a used, unexpired key; None if unused; 409 for another body.

    ``body_hashes``: the request body's hashes under every key of the ring (see :func:`request_hashes`).
    """
    stmt = select_owned(IdempotencyRecord, tenant_id).where(
        IdempotencyRecord.key == key, IdempotencyRecord.expires_at >= utcnow()
    )
    existing = session.execute(stmt).scalar_one_or_none()
    if existing is None or existing.response is None:
        return None
    if existing.request_hash not in body_hashes:
        raise Conflict(REUSED)
    return existing.response


def claim(
    session: Session, *, tenant_id: str, key: str, body_hash: str, response: dict[str, Any], now: datetime
) -> IdempotencyRecord | None:
    """Store the first response to a key; None when stored, else the record that holds the key already.

    An expired key is claimed afresh. Callers claiming several keys do so in key order, so concurrent
    writers cannot deadlock.
    """
    table = IdempotencyRecord
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "key": key,
        "request_hash": body_hash,
        "status_code": 201,
        "response": response,
        "created_at": now,
        "expires_at": now + TTL,
    }
    stmt = insert_into(session, table).values(**values)
    claimed = session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.tenant_id, table.key],
            set_={k: stmt.excluded[k] for k in values if k not in ("tenant_id", "key")},
            where=table.expires_at < now,
        ).returning(table.key)
    ).first()
    if claimed is not None:
        return None
    return session.execute(select_owned(table, tenant_id).where(table.key == key)).scalar_one()
