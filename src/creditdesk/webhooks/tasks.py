"""Webhook delivery jobs and the outbox consumer registration."""

from __future__ import annotations

from typing import Any

from creditdesk.webhooks import service
from creditdesk.worker.broker import JobContext, handler
from creditdesk.worker.outbox import consumer

consumer("")(service.fan_out)


@handler("webhook.deliver")
def deliver(ctx: JobContext) -> dict[str, Any]:
    """Deliver one event to one endpoint (retried with backoff by the job machinery)."""
    assert ctx.tenant_id is not None
    return service.deliver(ctx.session, tenant_id=ctx.tenant_id, delivery_id=ctx.payload["delivery_id"])
