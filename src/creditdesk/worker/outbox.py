"""The outbox relay: hands committed domain events to the installed publisher, oldest first, at least once.

One transaction per batch: the relay locks up to ``batch`` unpublished events (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so several relays — one per worker process — never take the same rows),
calls the :data:`~creditdesk.worker.registry.Publisher` of the installed registry (the events room's
bus: the broker's topic exchange, then each matching consumer in its own savepoint), marks them
published, and commits. Whatever the publisher wrote commits with the publication; when it raises
(the broker refused a message, the database failed) nothing is marked and the batch is tried again,
so the broker may see an event twice but never misses one. Consumers are idempotent by event id.

The relay outlives outages: a poll that fails (database restarting, …) rolls back — nothing is marked
published — and the next poll tries again; the first failure is logged as a warning, repeats only
every ``LOG_EVERY_S`` while it lasts, and the recovery is logged. Jobs a consumer creates (webhook
deliveries, consumer retries) are committed with the batch; a broker that is down only delays their
messages (see ``creditdesk.worker.broker``: the job stays queued and the re-send sweep sends it).

With region databases (docs/data-residency.md) each database has its outbox: the relay thread walks
them all (:func:`relay_all`), each batch in its own database and region.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from prometheus_client import Counter
from sqlalchemy import select

from creditdesk.db import Database, get_database, in_region, set_tenant_scope, utcnow
from creditdesk.worker.models import OutboxEvent
from creditdesk.worker.registry import installed

log = structlog.get_logger("creditdesk.outbox")
EVENTS_RELAYED = Counter("creditdesk_events_relayed_total", "Outbox events relayed by kind", ["kind"])
RELAY_FAILURES = Counter("creditdesk_outbox_relay_failures_total", "Outbox relay polls that failed")
LOG_EVERY_S = 60.0


def relay_all(batch: int = 200) -> int:
    """One :func:`relay_once` per database holding an outbox; return how many events were published."""
    return sum(relay_once(batch, db=db) for db in get_database().partitions())


def relay_once(batch: int = 200, *, db: Database | None = None) -> int:
    """Publish up to ``batch`` committed, unpublished events of ``db`` (default: the process's database);
    return how many were published."""
    publish = installed().publisher
    if publish is None:
        return 0
    db = db or get_database()
    with in_region(db.region), db.session() as session, session.begin():
        stmt = (
            select(OutboxEvent).where(OutboxEvent.published_at.is_(None)).order_by(OutboxEvent.created_at).limit(batch)
        )
        if db.is_postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        events = list(session.execute(stmt).scalars())
        if not events:
            return 0
        publish(session, events)
        set_tenant_scope(session, None)  # the publisher narrows it to each event's tenant in turn
        now = utcnow()
        for evt in events:
            evt.published_at = now
            EVENTS_RELAYED.labels(evt.kind).inc()
        return len(events)


class OutboxRelayThread(threading.Thread):
    """Poll the outbox every ``interval`` seconds until stopped."""

    def __init__(self, interval: float, relay: Callable[[], int] = relay_all):
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
