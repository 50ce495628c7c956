"""With RabbitMQ: committed events reach the durable topic exchange ``creditdesk.events`` by routing key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import orjson
import pytest
from tests.factories import make_tenant
from tests.servers import AMQP_URL, rabbit_reachable

from creditdesk.config import get_settings
from creditdesk.events.publisher import EXCHANGE, topic_matches
from creditdesk.events.schemas import EVENT_TYPES
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.tasks import TASK_REGISTRY
from creditdesk.worker import broker, registry
from creditdesk.worker.models import OutboxEvent
from creditdesk.worker.outbox import relay_once


@pytest.fixture
def rabbit(db, monkeypatch) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """This process relays with RabbitMQ as its broker; yields a pika channel for the test's own queues."""
    rabbit_reachable()
    import pika

    monkeypatch.setenv("CREDITDESK_BROKER_URL", AMQP_URL)
    get_settings.cache_clear()
    broker.reset_broker()
    before = registry.installed()
    registry.install(TASK_REGISTRY)
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.exchange_declare(exchange=EXCHANGE, exchange_type="topic", durable=True)
    try:
        yield channel
    finally:
        connection.close()  # the test's queues are exclusive: they go with it
        registry.install(before)
        broker.reset_broker()
        monkeypatch.delenv("CREDITDESK_BROKER_URL")
        get_settings.cache_clear()


def _bind(channel, pattern: str) -> str:  # type: ignore[no-untyped-def]
    queue = channel.queue_declare(queue="", exclusive=True).method.queue
    channel.queue_bind(queue=queue, exchange=EXCHANGE, routing_key=pattern)
    return queue


def _drain(channel, queue: str, tenant: str) -> list[tuple[str, object, dict]]:  # type: ignore[no-untyped-def]
    """The messages waiting in ``queue`` about ``tenant`` (another test run may share the broker)."""
    got = []
    while True:
        method, properties, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is None:
            return [m for m in got if m[2]["tenant"] == tenant]
        got.append((method.routing_key, properties, orjson.loads(body)))


@pytest.mark.rabbitmq
def test_a_disbursal_reaches_a_queue_bound_to_loan_events_after_commit(rabbit, session):
    loans = _bind(rabbit, "loan.*")
    payments = _bind(rabbit, "payment.#")
    tenant = make_tenant(session, f"konkan-credit-{uuid.uuid4().hex[:8]}")
    session.commit()

    spec = portfolio.LoanSpec(
        principal=Decimal("80000"),
        annual_rate_pct=Decimal("18"),
        tenure_months=12,
        disbursed_on=date(2026, 6, 1),
        customer=CustomerIn(name="Vikram Rao"),
    )
    loan = portfolio.disburse(session, tenant_id=tenant.id, spec=spec)
    session.flush()
    assert _drain(rabbit, loans, tenant.slug) == []  # written, not committed: nothing is published
    session.commit()
    assert relay_once() == 1

    ((routing_key, properties, envelope),) = _drain(rabbit, loans, tenant.slug)
    assert routing_key == "loan.disbursed"
    assert set(envelope) == {"id", "type", "tenant", "occurred_at", "data"}
    assert envelope["type"] == "loan.disbursed" and envelope["tenant"] == tenant.slug
    assert envelope["data"]["loan_id"] == loan.id and envelope["data"]["principal"] == "80000.00"
    assert properties.message_id == envelope["id"]  # receivers de-duplicate by it
    assert properties.delivery_mode == 2 and properties.content_type == "application/json"
    assert _drain(rabbit, payments, tenant.slug) == []

    # a disbursal rolled back is never published
    portfolio.disburse(session, tenant_id=tenant.id, spec=spec)
    session.flush()
    session.rollback()
    assert relay_once() == 0 and _drain(rabbit, loans, tenant.slug) == []

    # the relay's connection was lost meanwhile (RabbitMQ restarted, a heartbeat missed): it reconnects
    broker.get_broker().connection.close()
    again = portfolio.disburse(session, tenant_id=tenant.id, spec=spec)
    session.commit()
    assert relay_once() == 1
    assert [envelope["data"]["loan_id"] for _, _, envelope in _drain(rabbit, loans, tenant.slug)] == [again.id]


@pytest.mark.rabbitmq
def test_the_exchange_routes_every_type_as_consumers_patterns_match(rabbit, session):
    """RabbitMQ's routing and the in-process consumers' topic matching agree, pattern by pattern."""
    patterns = ["#", "loan.*", "loan.#", "*.received", "ptp.*", "#.dpd_changed", "application.decided", "ews.*.x"]
    queues = {p: _bind(rabbit, p) for p in patterns}
    tenant = make_tenant(session, f"routing-{uuid.uuid4().hex[:8]}")
    session.commit()
    for event_type in EVENT_TYPES:
        session.add(_raw_event(tenant.id, event_type))
    session.commit()
    assert relay_once() == len(EVENT_TYPES)
    for pattern, queue in queues.items():
        routed = sorted(key for key, _, _ in _drain(rabbit, queue, tenant.slug))
        assert routed == sorted(t for t in EVENT_TYPES if topic_matches(pattern, t)), pattern


def _raw_event(tenant_id: str, event_type: str) -> OutboxEvent:
    """An outbox row of any type (the routing test is about keys, not data)."""
    return OutboxEvent(tenant_id=tenant_id, kind=event_type, payload={"probe": event_type})
