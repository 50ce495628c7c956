"""The envelope every consumer, the broker and webhook receivers get; typed data; topic patterns."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from tests.factories import make_tenant

from creditdesk.events import service as events
from creditdesk.events.publisher import Consumer, EventBus, topic_matches
from creditdesk.events.schemas import EVENT_DATA, EVENT_TYPES, Envelope, LoanDisbursed, PaymentReceived
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.webhooks import service as webhooks
from creditdesk.webhooks.schemas import WebhookCreate
from creditdesk.worker.models import OutboxEvent
from creditdesk.worker.outbox import relay_once

ROOT = Path(__file__).resolve().parents[2]
#: the routing keys docs/events.md documents (its table of event types: one row per key)
DOCUMENTED_KEYS = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", (ROOT / "docs" / "events.md").read_text(), re.M))


def test_a_disbursal_reaches_its_consumer_as_the_envelope(session, only_consumers):
    received = []
    only_consumers(Consumer("test.loans", ("loan.*",), lambda _s, event: received.append(event)))
    tenant = make_tenant(session, "sahyadri-finance")
    spec = portfolio.LoanSpec(
        principal=Decimal("250000"),
        annual_rate_pct=Decimal("14.5"),
        tenure_months=24,
        disbursed_on=date(2026, 3, 2),
        customer=CustomerIn(name="Asha Patil"),
    )
    loan = portfolio.disburse(session, tenant_id=tenant.id, spec=spec)
    session.commit()

    assert relay_once() == 1
    (event,) = received
    envelope = event.envelope()
    assert set(envelope) == {"id", "type", "tenant", "occurred_at", "data"}
    assert envelope["type"] == "loan.disbursed" and envelope["tenant"] == "sahyadri-finance"
    assert envelope["data"] == {
        "loan_id": loan.id,
        "application_id": None,
        "principal": "250000.00",
        "disbursed_on": "2026-03-02",
    }
    occurred_at = datetime.fromisoformat(envelope["occurred_at"])
    assert occurred_at.tzinfo is not None and abs((occurred_at - loan.created_at).total_seconds()) < 5
    assert Envelope.model_validate(envelope).id == event.id == envelope["id"]
    assert event.parsed() == LoanDisbursed(
        loan_id=loan.id, principal=Decimal("250000.00"), disbursed_on=date(2026, 3, 2)
    )
    assert event.tenant_id == tenant.id  # consumers query by the tenant's id; the envelope names its slug
    # webhooks deliver the same envelope, with wave 1's created_at kept for receivers that read it
    assert webhooks.body(event) == {**envelope, "created_at": envelope["occurred_at"]}


def test_emit_holds_producers_to_the_type_and_its_data(session):
    tenant = make_tenant(session)
    with pytest.raises(ValidationError):  # a field the event does not have
        events.emit(
            session,
            tenant=tenant,
            type="payment.received",
            data={
                "loan_id": "L-1",
                "payment_id": "P-1",
                "reference": "UTR1",
                "amount": "10",
                "paid_on": "2026-01-01",
                "x": 1,
            },
        )
    with pytest.raises(ValidationError):  # money is never negative
        PaymentReceived(loan_id="L", payment_id="P", reference="R", amount=Decimal("-1"), paid_on=date(2026, 1, 1))
    with pytest.raises(ValueError, match="carries PaymentReceived"):
        events.emit(
            session,
            tenant=tenant,
            type="payment.received",
            data=LoanDisbursed(loan_id="L", principal=Decimal(1), disbursed_on=date(2026, 1, 1)),
        )
    with pytest.raises(ValueError, match="unknown event type"):
        events.emit(session, tenant=tenant, type="loan.exploded", data={})  # type: ignore[arg-type]
    assert session.execute(select(OutboxEvent)).scalars().all() == []  # nothing half-written

    kept = events.emit(
        session,
        tenant=tenant,
        type="payment.received",
        data=PaymentReceived(
            loan_id="L-1", payment_id="P-1", reference="UTR1", amount=Decimal("5000.5"), paid_on=date(2026, 1, 5)
        ),
    )
    session.flush()
    row = session.get(OutboxEvent, kept.id)
    assert row is not None and row.tenant_id == tenant.id and row.kind == "payment.received"
    assert row.payload["amount"] == "5000.5" and row.payload["paid_on"] == "2026-01-05"  # JSON: money as a string


def test_routing_keys_are_defined_once_and_webhooks_subscribe_to_the_same_types():
    # RISK-OPS.md's nine keys, wave 1's alert.raised and channels' message.replied (a borrower's reply and
    # its intent, which collections acts on), as documented for operators and receivers
    assert len(DOCUMENTED_KEYS) == 11 and set(EVENT_TYPES) == DOCUMENTED_KEYS
    assert set(EVENT_DATA) == set(EVENT_TYPES)  # every type has its data model
    field = WebhookCreate.model_fields["events"].annotation
    assert set(get_args(get_args(field)[0])) == set(EVENT_TYPES)
    WebhookCreate(url="https://hooks.example.com/x", events=list(EVENT_TYPES))  # all at once is allowed


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("loan.*", "loan.disbursed", True),
        ("loan.*", "loan.dpd_changed", True),
        ("loan.*", "loan", False),
        ("loan.*", "loan.a.b", False),
        ("loan.*", "payment.received", False),
        ("loan.#", "loan", True),
        ("loan.#", "loan.a.b", True),
        ("#", "ptp.kept", True),
        ("#", "", True),
        ("*.changed", "message.status_changed", False),
        ("*.status_changed", "message.status_changed", True),
        ("#.kept", "ptp.kept", True),
        ("#.kept", "kept", True),
        ("ptp.*.kept", "ptp.kept", False),
        ("ptp.#.kept", "ptp.kept", True),
        ("application.decided", "application.decided", True),
        ("application.decided", "application.decided.x", False),
    ],
)
def test_topic_patterns_match_as_rabbitmq_routes(pattern, key, matches):
    assert topic_matches(pattern, key) is matches


def test_consumers_are_checked_when_registered():
    def noop(_s, _e):
        return None

    with pytest.raises(ValueError, match="non-empty tuple"):
        Consumer("collections.open_case", "loan.*", noop)  # type: ignore[arg-type]  # a string, not a tuple
    with pytest.raises(ValueError, match="not a topic pattern"):
        Consumer("collections.open_case", ("loan.*x",), noop)
    with pytest.raises(ValueError, match="at least one retry"):
        Consumer("collections.open_case", ("loan.*",), noop, max_attempts=1)
    with pytest.raises(ValueError, match="consumer name"):
        Consumer("Collections Case", ("loan.*",), noop)
    with pytest.raises(ValueError, match="share a name"):
        EventBus(Consumer("a.b", ("#",), noop), Consumer("a.b", ("loan.*",), noop))
    bus = EventBus(Consumer("a.loans", ("loan.*",), noop), Consumer("a.all", ("#",), noop))
    assert [c.name for c in bus.consumers_of("loan.disbursed")] == ["a.loans", "a.all"]
    assert [c.name for c in bus.consumers_of("ptp.kept")] == ["a.all"]
