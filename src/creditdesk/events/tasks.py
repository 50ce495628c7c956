"""The job that retries a consumer on an event after the relay's try failed."""

from __future__ import annotations

from typing import Any

from creditdesk.events import publisher
from creditdesk.worker.context import JobContext


def consume(ctx: JobContext) -> dict[str, Any]:
    """Run one consumer on one event again; backoff, the last attempt and dead letters are the job machinery's."""
    return publisher.retry(
        ctx.session,
        consumer_name=ctx.payload["consumer"],
        event_id=ctx.payload["event_id"],
        attempt=ctx.attempt + 1,  # the relay made the first
    )
