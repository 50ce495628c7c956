"""Emitting domain events: validated, written to the outbox in the caller's transaction.

Invariant: an event exists exactly when the change it describes does. :func:`emit` adds the outbox
row to the caller's session (services flush, never commit), so the request's or job's commit writes
both and a rollback writes neither; the relay publishes only committed rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from creditdesk.db import new_id, utcnow
from creditdesk.events.schemas import EVENT_DATA, EventData, EventType
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.models import OutboxEvent

#: who an event belongs to: the tenant, its id, or None for a platform event
TenantRef = Tenant | str | None


def event_data(type: EventType, data: EventData | Mapping[str, Any]) -> EventData:  # noqa: A002 - the envelope's name
    """Check ``data`` against its type's model and return it as that model (ValueError when it does not fit)."""
    model = EVENT_DATA.get(type)
    if model is None:
        raise ValueError(f"unknown event type {type!r}")
    if isinstance(data, model):
        return data
    if isinstance(data, EventData):
        raise ValueError(f"{type} carries {model.__name__}, not {data.__class__.__name__}")
    return model.model_validate(dict(data))


def event_row(
    *,
    tenant: TenantRef,
    type: EventType,  # noqa: A002
    data: EventData | Mapping[str, Any],
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """The outbox row of an event (for a caller that bulk-inserts its rows in its own transaction)."""
    payload = event_data(type, data).model_dump(mode="json")
    return {
        "id": new_id(),
        "tenant_id": tenant.id if isinstance(tenant, Tenant) else tenant,
        "kind": type,
        "payload": payload,
        "created_at": occurred_at or utcnow(),
    }


def emit_many(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write many events (rows from :func:`event_row`) to the outbox in the caller's transaction, one statement."""
    if rows:
        session.connection().execute(insert(OutboxEvent), list(rows))


def emit(
    session: Session,
    *,
    tenant: TenantRef,
    type: EventType,  # noqa: A002
    data: EventData | Mapping[str, Any],
) -> OutboxEvent:
    """Write a domain event to the outbox in the caller's transaction; it is published after commit."""
    event = OutboxEvent(**event_row(tenant=tenant, type=type, data=data))
    session.add(event)
    return event
