"""The outbox relay: publishes committed domain events to their consumers, in order, at least once.

Consumers (listed in the installed :class:`~creditdesk.worker.registry.TaskRegistry`) must be
idempotent by event id (each receives the relay's session and the ``OutboxEvent``; what they write
commits with the event's publication). On PostgreSQL several
relays may run (one per worker process); ``FOR UPDATE SKIP LOCKED`` keeps them off each other's rows.

The relay outlives outages: a poll that fails (database restarting, …) rolls back — nothing is marked
published — and the next poll tries again; the first failure is logged as a warning, repeats only
every ``LOG_EVERY_S`` while it lasts, and the recovery is logged. Jobs a consumer creates (webhook
deliveries) are committed with the event; a broker that is down only delays their messages (see
``creditdesk.worker.broker``: the job stays queued and the re-send sweep sends it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from prometheus_client import Counter
from sqlalchemy import select

from creditdesk.db import get_database, utcnow
from creditdesk.worker.models import OutboxEvent
from creditdesk.worker.registry import installed

log = structlog.get_logger("creditdesk.outbox")
EVENTS_RELAYED = Counter("creditdesk_events_relayed_total", "Outbox events relayed by kind", ["kind"])
RELAY_FAILURES = Counter("creditdesk_outbox_relay_failures_total", "Outbox relay polls that failed")
LOG_EVERY_S = 60.0


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
        consumers_of = installed().consumers_of
        for evt in events:
            for fn in consumers_of(evt.kind):
                fn(session, evt)
            evt.published_at = utcnow()
            EVENTS_RELAYED.labels(evt.kind).inc()
        return len(events)


class OutboxRelayThread(threading.Thread):
    """Poll the outbox every ``interval`` seconds until stopped."""

    def __init__(self, interval: float, relay: Callable[[], int] = relay_once):
        super().__init__(name="outbox-relay", daemon=True)
        self.interval = interval
        self._relay = relay
        self._stop_event = threading.Event()
        self.failures = 0  # consecutive failed polls
        self._logged_at = 0.0

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        """Relay until the outbox is empty; never raises (a failure is retried at the next poll)."""
        try:
            while self._relay() > 0 and not self._stop_event.is_set():
                pass
        except Exception as exc:  # noqa: BLE001 - keep relaying; the error is logged
            RELAY_FAILURES.inc()
            self.failures += 1
            now = time.monotonic()
            if self.failures == 1 or now - self._logged_at >= LOG_EVERY_S:
                self._logged_at = now
                log.warning("outbox relay failed", error=f"{type(exc).__name__}: {exc}", failures=self.failures)
            return
        if self.failures:
            log.info("outbox relay recovered", failed_polls=self.failures)
            self.failures = 0

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
