"""Publishing domain events: the broker's topic exchange, and the consumers each domain registers.

The outbox relay (:mod:`creditdesk.worker.outbox`) hands every committed batch of events to the
installed :class:`EventBus`, in the relay's transaction. For each event the bus

1. with RabbitMQ, publishes its envelope to the durable topic exchange ``creditdesk.events`` with
   the event type as routing key (persistent, confirmed by RabbitMQ) — the integration surface for
   other services; with the embedded broker or Redis there is no exchange and this step is skipped;
2. runs, in process, every :class:`Consumer` with a pattern matching the routing key (AMQP topic
   semantics: ``*`` one word, ``#`` zero or more), in the event's tenant scope: a consumer takes a
   tenant's events of the batch in one savepoint, and when that fails, each event in a savepoint of
   its own, so that only the events whose handler raises are held back.

Invariant (exactly-once effect per consumer): before its handler runs, a consumer claims
``(consumer, event id)`` in ``processed_event`` in the same transaction as the handler's writes. The
claim and the writes commit together or not at all, and a consumer that meets an event again (a
relay re-running a batch it could not commit, two relays, a retry, a re-driven dead letter) finds the
claim and does nothing. Handlers keep to the database they are given; anything outside it (an HTTP
call, an e-mail) goes into a job they enqueue, which commits with them (webhooks do this).

Retries: a handler that raises is rolled back to its savepoint — the other consumers, events and the
batch go on — and an ``event.consume`` job retries that consumer on that event alone with exponential
backoff (so a handler may run more than once for an event: only the run that commits takes effect). After
``max_attempts`` tries in all (the relay's and the job's) the job is ``dead``: listed at
``/api/v1/ops/dead-letters`` with the consumer, event type and id in its error, and re-driven by
``POST /api/v1/ops/dead-letters/{job_id}/requeue``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
import structlog
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.db import insert_into, set_tenant_scope, utcnow
from creditdesk.events.models import ProcessedEvent
from creditdesk.events.schemas import EVENT_DATA, EventData, EventType
from creditdesk.tenancy.models import Tenant
from creditdesk.worker import broker
from creditdesk.worker import service as jobs
from creditdesk.worker.errors import PermanentJobError, TransientJobError
from creditdesk.worker.models import OutboxEvent
from creditdesk.worker.registry import installed

#: the RabbitMQ topic exchange events are published to (durable; routing key = event type)
EXCHANGE = "creditdesk.events"
#: the job that retries one consumer on one event
CONSUME_JOB = "event.consume"

log = structlog.get_logger("creditdesk.events")
CONSUMER_RUNS = Counter(
    "creditdesk_event_consumer_runs_total",
    "Consumer runs by consumer and outcome",
    ["consumer", "outcome"],  # processed | duplicate (already processed: skipped) | failed (retried)
)
PUBLISHED = Counter("creditdesk_events_published_total", "Events published to the topic exchange", ["type"])

_WORD = re.compile(r"[a-z0-9_]+")
_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")


@functools.lru_cache(maxsize=4096)  # a handful of patterns × the routing keys: asked for every relayed event
def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether a routing key matches a binding pattern, as a RabbitMQ topic exchange decides.

    Both are words separated by dots; in the pattern ``*`` stands for exactly one word and ``#`` for
    zero or more (``loan.*`` matches ``loan.disbursed``, not ``loan`` nor ``loan.a.b``; ``#`` matches all).
    """
    return _words_match(pattern.split("."), routing_key.split("."))


def _words_match(pattern: list[str], key: list[str]) -> bool:
    if not pattern:
        return not key
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_words_match(rest, key[i:]) for i in range(len(key) + 1))
    return bool(key) and head in ("*", key[0]) and _words_match(rest, key[1:])


@dataclass(frozen=True)
class Event:
    """What a consumer receives: the envelope's fields, and the tenant's id for tenant-scoped queries."""

    id: str
    type: str
    tenant_id: str | None
    tenant: str | None  # the tenant's slug, as the envelope names it
    occurred_at: datetime
    data: Mapping[str, Any]

    def envelope(self) -> dict[str, Any]:
        """The event as the broker and webhook receivers see it: ``{"id","type","tenant","occurred_at","data"}``."""
        return {
            "id": self.id,
            "type": self.type,
            "tenant": self.tenant,
            "occurred_at": self.occurred_at.isoformat(),
            "data": dict(self.data),
        }

    def parsed(self) -> EventData:
        """The ``data`` as its type's model (for a consumer that wants typed fields)."""
        return EVENT_DATA[cast(EventType, self.type)].model_validate(self.data)


#: a consumer's handler: writes through the session it is given (never commits), raises to be retried
Handler = Callable[[Session, Event], None]


@dataclass(frozen=True)
class Consumer:
    """A named handler of the events whose routing key matches one of its patterns.

    ``name`` is its identity in ``processed_event`` and in dead letters: keep it stable (renaming a
    consumer makes it meet every unpublished event as new). ``max_attempts`` counts every try: the
    relay's, then the retry job's.
    """

    name: str
    patterns: tuple[str, ...]
    handler: Handler
    max_attempts: int = 5

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or len(self.name) > 100:
            raise ValueError(f"consumer name {self.name!r}: lowercase dotted words, at most 100 characters")
        if isinstance(self.patterns, str) or not self.patterns:
            raise ValueError(f"consumer {self.name}: patterns is a non-empty tuple, e.g. ('loan.*',)")
        for pattern in self.patterns:
            if not all(w in ("*", "#") or _WORD.fullmatch(w) for w in pattern.split(".")):
                raise ValueError(f"consumer {self.name}: {pattern!r} is not a topic pattern (words, * and #)")
        if self.max_attempts < 2:
            raise ValueError(f"consumer {self.name}: max_attempts counts the relay's try and at least one retry")

    def matches(self, routing_key: str) -> bool:
        """Whether this consumer is bound to the routing key."""
        return any(topic_matches(p, routing_key) for p in self.patterns)


class EventBus:
    """The installed publisher (see the module's docstring): the topic exchange, then every matching consumer."""

    def __init__(self, *consumers: Consumer) -> None:
        names = [c.name for c in consumers]
        if len(set(names)) != len(names):
            raise ValueError(f"two event consumers share a name: {sorted(n for n in names if names.count(n) > 1)}")
        self.consumers: tuple[Consumer, ...] = consumers

    def consumer(self, name: str) -> Consumer | None:
        """The consumer of that name, or None."""
        return next((c for c in self.consumers if c.name == name), None)

    def consumers_of(self, routing_key: str) -> list[Consumer]:
        """The consumers bound to a routing key, in registration order."""
        return [c for c in self.consumers if c.matches(routing_key)]

    def with_consumers(self, *more: Consumer) -> EventBus:
        """This bus with more consumers (names stay unique)."""
        return EventBus(*self.consumers, *more)

    def __call__(self, session: Session, rows: Sequence[OutboxEvent]) -> None:
        """Publish a relayed batch: to the topic exchange (RabbitMQ), then to this process's consumers."""
        events = as_events(session, rows)
        if broker.is_rabbitmq():
            broker.publish_topic(EXCHANGE, [_message(e) for e in events])
            for e in events:
                PUBLISHED.labels(e.type).inc()
        by_tenant: dict[str | None, list[Event]] = {}
        for event in events:  # each tenant's events in order, in one scope (one setting, not one per event)
            by_tenant.setdefault(event.tenant_id, []).append(event)
        for tenant_id, theirs in by_tenant.items():
            set_tenant_scope(session, tenant_id)
            for consumer in self.consumers:
                bound = [e for e in theirs if consumer.matches(e.type)]
                if bound:
                    _consume_all_or_each(session, consumer, bound)


def as_events(session: Session, rows: Iterable[OutboxEvent]) -> list[Event]:
    """The outbox rows as events, with their tenants' slugs (one query)."""
    rows = list(rows)
    tenant_ids = {r.tenant_id for r in rows if r.tenant_id is not None}
    slugs: dict[str, str] = {}
    if tenant_ids:
        found = session.execute(select(Tenant.id, Tenant.slug).where(Tenant.id.in_(tenant_ids))).tuples()
        slugs = dict(found.all())
    return [
        Event(
            id=r.id,
            type=r.kind,
            tenant_id=r.tenant_id,
            tenant=slugs.get(r.tenant_id) if r.tenant_id else None,
            occurred_at=r.created_at,
            data=r.payload,
        )
        for r in rows
    ]


def _message(event: Event) -> broker.TopicMessage:
    return broker.TopicMessage(
        routing_key=event.type,
        body=orjson.dumps(event.envelope()),
        message_id=event.id,
        timestamp=int(event.occurred_at.timestamp()),
        headers={"tenant": event.tenant or ""},
    )


def _claim(session: Session, consumer: Consumer, events: Sequence[Event], attempt: int) -> set[str]:
    """Record that ``consumer`` processes ``events`` (in the caller's transaction); the ids it had not yet."""
    stmt = insert_into(session, ProcessedEvent).on_conflict_do_nothing().returning(ProcessedEvent.event_id)
    now = utcnow()
    rows = [
        {
            "consumer": consumer.name,
            "event_id": e.id,
            "tenant_id": e.tenant_id,
            "event_type": e.type,
            "attempts": attempt,
            "processed_at": now,
        }
        for e in events
    ]
    # executemany with RETURNING ("insertmanyvalues"): one cached statement whatever the batch's size
    return set(session.connection().execute(stmt, rows).scalars())


def consume(session: Session, consumer: Consumer, events: Sequence[Event], *, attempt: int) -> int:
    """Run ``consumer`` on each of ``events`` it has not processed yet; return how many it ran on.

    The claims and the handler's writes are in the caller's transaction: they commit or roll back together.
    """
    claimed = _claim(session, consumer, events, attempt)
    for event in events:
        if event.id in claimed:
            consumer.handler(session, event)
    CONSUMER_RUNS.labels(consumer.name, "processed").inc(len(claimed))
    if len(claimed) < len(events):
        CONSUMER_RUNS.labels(consumer.name, "duplicate").inc(len(events) - len(claimed))
    return len(claimed)


def _consume_all_or_each(session: Session, consumer: Consumer, events: list[Event]) -> None:
    """The relay's try: all of a tenant's events for this consumer in one savepoint; if that fails, one by one.

    One by one, each event has a savepoint of its own; an event whose handler raises is rolled back to it
    and retried later by an ``event.consume`` job, and the others take effect now.
    """
    if len(events) > 1:
        try:
            with session.begin_nested():
                consume(session, consumer, events, attempt=1)
            return
        except Exception as exc:  # noqa: BLE001 - one of them failed: find which, one by one
            log.info("event consumer failed on a batch; trying each event", consumer=consumer.name, error=repr(exc))
    for event in events:
        try:
            with session.begin_nested():
                consume(session, consumer, [event], attempt=1)
        except Exception as exc:  # noqa: BLE001 - any failure of a handler is retried by its job
            _retry_later(session, consumer, event, exc)


def _retry_later(session: Session, consumer: Consumer, event: Event, exc: Exception) -> None:
    """Count and log a failed try, and enqueue the job that retries it (committed with the relay's batch)."""
    CONSUMER_RUNS.labels(consumer.name, "failed").inc()
    log.warning(
        "event consumer failed; retrying it in a job",
        consumer=consumer.name,
        event_id=event.id,
        event_type=event.type,
        error=f"{type(exc).__name__}: {exc}",
    )
    jobs.enqueue(
        session,
        kind=CONSUME_JOB,
        tenant_id=event.tenant_id,
        payload={"consumer": consumer.name, "event_id": event.id},
        max_attempts=consumer.max_attempts - 1,
    )


def retry(session: Session, *, consumer_name: str, event_id: str, attempt: int) -> dict[str, Any]:
    """Try one consumer on one event again (the ``event.consume`` job); raise to be retried or dead-lettered."""
    bus = installed().publisher
    consumer = bus.consumer(consumer_name) if isinstance(bus, EventBus) else None
    if consumer is None:
        raise PermanentJobError(f"no event consumer named {consumer_name!r} in this process")
    row = session.get(OutboxEvent, event_id)
    if row is None:
        raise PermanentJobError(f"event {event_id} not found")
    (event,) = as_events(session, [row])
    try:
        processed = consume(session, consumer, [event], attempt=attempt) == 1
    except Exception as exc:
        CONSUMER_RUNS.labels(consumer.name, "failed").inc()
        raise TransientJobError(
            f"consumer {consumer.name} failed on {event.type} event {event.id}: {type(exc).__name__}: {exc}"
        ) from exc
    return {"consumer": consumer.name, "event_id": event.id, "processed": processed, "attempt": attempt}
