"""Webhook delivery jobs, and the event consumer that creates them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditdesk.events.publisher import Event
from creditdesk.webhooks import service
from creditdesk.worker.context import JobContext


def fan_out(session: Session, event: Event) -> None:
    """Consume every published event: one delivery job per endpoint subscribed to its type."""
    service.fan_out(session, event)


def deliver(ctx: JobContext) -> dict[str, Any]:
    """Deliver one event to one endpoint (retried with backoff by the job machinery)."""
    assert ctx.tenant_id is not None
    return service.deliver(ctx.session, tenant_id=ctx.tenant_id, delivery_id=ctx.payload["delivery_id"])
