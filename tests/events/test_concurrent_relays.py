"""Two relays at once (threads; on PostgreSQL truly concurrent) never hand an event to a consumer twice."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from tests.factories import make_tenant

from creditdesk.events import service as events
from creditdesk.events.models import ProcessedEvent
from creditdesk.events.publisher import Consumer
from creditdesk.events.schemas import PaymentReceived
from creditdesk.worker.models import OutboxEvent
from creditdesk.worker.outbox import relay_once

PAYMENTS = 240


def _run_two_relays() -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def relay() -> None:
        try:
            start.wait()
            while relay_once(batch=25) > 0:
                pass
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_two_relays_settle_each_promise_once(db, session, only_consumers):
    """The PTP consumer marks a promise kept for each payment; run by two relays over the same outbox."""
    settled: list[str] = []
    lock = threading.Lock()

    def settle_promise(s, event):
        payment = event.parsed()
        with lock:
            settled.append(event.id)
        events.emit(
            s,
            tenant=event.tenant_id,
            type="ptp.kept",
            data={
                "promise_id": f"PTP-{payment.reference}",
                "case_id": "C-1",
                "loan_id": payment.loan_id,
                "amount": payment.amount,
                "promised_on": payment.paid_on,
                "paid_amount": payment.amount,
            },
        )

    only_consumers(Consumer("collections.settle_promise", ("payment.*",), settle_promise))
    tenants = [make_tenant(session) for _ in range(3)]
    for i in range(PAYMENTS):
        events.emit(
            session,
            tenant=tenants[i % 3],
            type="payment.received",
            data=PaymentReceived(
                loan_id=f"L-{i}",
                payment_id=f"P-{i}",
                reference=f"UTR{i}",
                amount=Decimal(1000 + i),
                paid_on=date(2026, 4, 1),
            ),
        )
    session.commit()

    assert _run_two_relays() == []
    assert len(settled) == PAYMENTS and len(set(settled)) == PAYMENTS  # every payment, each once
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one() == PAYMENTS
        kept = s.execute(select(func.count()).where(OutboxEvent.kind == "ptp.kept")).scalar_one()
        unpublished = s.execute(select(func.count()).where(OutboxEvent.published_at.is_(None))).scalar_one()
    assert kept == PAYMENTS and unpublished == 0

    # every event relayed again (publications that were never recorded): the consumer meets each twice,
    # acts on none — the processed_event claim, not the relays' locks, holds it to once
    with db.session() as s, s.begin():
        s.execute(update(OutboxEvent).where(OutboxEvent.kind == "payment.received").values(published_at=None))
    assert _run_two_relays() == []
    assert len(settled) == PAYMENTS
    with db.session() as s:
        assert s.execute(select(func.count()).where(OutboxEvent.kind == "ptp.kept")).scalar_one() == PAYMENTS
