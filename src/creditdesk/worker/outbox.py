"""The outbox relay: publishes committed domain events to their consumers, in order, at least once.

Consumers must be idempotent by event id (each receives the relay's session and the ``OutboxEvent``;
what they write commits with the event's publication). On PostgreSQL several
relays may run (one per worker process); ``FOR UPDATE SKIP LOCKED`` keeps them off each other's rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.db import get_database, utcnow
from creditdesk.worker.models import OutboxEvent

log = structlog.get_logger("creditdesk.outbox")
EVENTS_RELAYED = Counter("creditdesk_events_relayed_total", "Outbox events relayed by kind", ["kind"])

Consumer = Callable[[Session, OutboxEvent], None]
_CONSUMERS: list[tuple[str, Consumer]] = []


def consumer(kind_prefix: str = "") -> Callable[[Consumer], Consumer]:
    """Register a consumer for events whose kind starts with ``kind_prefix``."""

    def register(fn: Consumer) -> Consumer:
        _CONSUMERS.append((kind_prefix, fn))
        return fn

    return register


def relay_once(batch: int = 200) -> int:
    """Publish up to ``batch`` unpublished events; return how many were published."""
    db = get_database()
    with db.session() as session, session.begin():
        stmt = (
            select(OutboxEvent).where(OutboxEvent.published_at.is_(None)).order_by(OutboxEvent.created_at).limit(batch)
        )
        if db.is_postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        events = list(session.execute(stmt).scalars())
        for evt in events:
            for prefix, fn in _CONSUMERS:
                if evt.kind.startswith(prefix):
                    fn(session, evt)
            evt.published_at = utcnow()
            EVENTS_RELAYED.labels(evt.kind).inc()
        return len(events)


class OutboxRelayThread(threading.Thread):
    """Poll the outbox every ``interval`` seconds until stopped."""

    def __init__(self, interval: float):
        super().__init__(name="outbox-relay", daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                while relay_once() > 0:
                    pass
            except Exception as exc:  # noqa: BLE001 - keep relaying; the error is logged
                log.warning("outbox relay failed", error=f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
