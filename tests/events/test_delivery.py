"""Delivery to consumers: after commit only, once per consumer by event id, retried, then dead-lettered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from tests.events.conftest import wait_until
from tests.factories import bearer, make_tenant, make_user, wait_for_job

from creditdesk.events import service as events
from creditdesk.events.models import ProcessedEvent
from creditdesk.events.publisher import Consumer
from creditdesk.events.schemas import CollectionsCaseOpened, EwsBandChanged, LoanDpdChanged
from creditdesk.worker import broker
from creditdesk.worker import service as jobs
from creditdesk.worker.models import Job, OutboxEvent
from creditdesk.worker.outbox import relay_once


def _processed(db, consumer: str, event_id: str) -> ProcessedEvent | None:
    with db.session() as s:
        return s.get(ProcessedEvent, (consumer, event_id))


def _retry_job(db, event_id: str) -> Job:
    with db.session() as s:
        jobs = s.execute(select(Job).where(Job.kind == "event.consume")).scalars().all()
    (job,) = [j for j in jobs if j.payload["event_id"] == event_id]
    return job


def test_a_consumer_that_fails_twice_then_succeeds_opens_one_case(client, db, session, add_consumers):
    """The collections consumer opens a case on a DPD change; its first two tries fail after writing."""
    tries: list[str] = []

    def open_case(s, event):
        tries.append(event.id)
        loan = event.parsed()
        case = CollectionsCaseOpened(
            case_id=f"C-{loan.loan_id}", loan_id=loan.loan_id, dpd=loan.dpd, bucket=loan.bucket, overdue_amount="1850"
        )
        events.emit(s, tenant=event.tenant_id, type="collections.case_opened", data=case)
        s.flush()  # the case's event reached the database before the failure: the rollback must take it back
        if len(tries) <= 2:
            raise ConnectionError(f"collections store unavailable ({len(tries)})")

    add_consumers(Consumer("collections.open_case", ("loan.dpd_changed",), open_case, max_attempts=4))
    tenant = make_tenant(session)
    moved = events.emit(
        session,
        tenant=tenant,
        type="loan.dpd_changed",
        data=LoanDpdChanged(
            loan_id="L-77", previous_dpd=30, dpd=31, bucket="31-60", asset_class="sma_1", as_of=date(2026, 5, 1)
        ),
    )
    session.commit()

    wait_until(lambda: _processed(db, "collections.open_case", moved.id))
    assert tries == [moved.id] * 3  # the relay's try, then two by the retry job
    assert _processed(db, "collections.open_case", moved.id).attempts == 3
    job = wait_for_job(client, None, _retry_job(db, moved.id).id, {})
    assert job["status"] == "succeeded" and job["attempts"] == 2
    assert job["result"] == {"consumer": "collections.open_case", "event_id": moved.id, "processed": True, "attempt": 3}
    with db.session() as s:
        opened = s.execute(select(OutboxEvent).where(OutboxEvent.kind == "collections.case_opened")).scalars().all()
    assert [e.payload["loan_id"] for e in opened] == ["L-77"]  # one case, not three

    # the same event relayed again (a relay that could not record its publication): nothing happens twice
    with db.session() as s, s.begin():
        s.execute(update(OutboxEvent).where(OutboxEvent.id == moved.id).values(published_at=None))
    wait_until(lambda: _published(db, moved.id))
    relay_once()
    assert tries == [moved.id] * 3


def _published(db, event_id: str) -> bool:
    with db.session() as s:
        return s.get(OutboxEvent, event_id).published_at is not None


def test_a_poisoned_event_lands_in_the_dead_letters_and_can_be_redriven(client, db, session, add_consumers):
    fixed = False
    watchlisted: list[str] = []

    def watchlist(_s, event):
        if not fixed:
            raise ValueError("band 'H' has no watchlist rule")
        watchlisted.append(event.id)

    add_consumers(Consumer("ews.watchlist", ("ews.*",), watchlist, max_attempts=3))
    root = make_user(session, None, "platform_admin")
    tenant = make_tenant(session)
    changed = events.emit(
        session,
        tenant=tenant,
        type="ews.band_changed",
        data=EwsBandChanged(account_id="CC-9", previous_band="M", band="H", probability=0.61, reasons=["cash"]),
    )
    session.commit()

    wait_until(lambda: client.get("/api/v1/ops/dead-letters", headers=bearer(root)).json()["total"] == 1)
    (dead,) = client.get("/api/v1/ops/dead-letters", headers=bearer(root)).json()["items"]
    assert dead["kind"] == "event.consume" and dead["tenant_id"] == tenant.id
    assert dead["attempts"] == 2 and dead["max_attempts"] == 2  # + the relay's try: the consumer's 3
    assert "ews.watchlist" in dead["error"] and changed.id in dead["error"] and "ews.band_changed" in dead["error"]
    assert "ValueError: band 'H' has no watchlist rule" in dead["error"]
    assert _processed(db, "ews.watchlist", changed.id) is None and watchlisted == []
    assert _published(db, changed.id)  # the event itself was published: only this consumer is stuck

    fixed = True  # the rule is deployed: an operator re-drives the dead letter
    requeued = client.post(f"/api/v1/ops/dead-letters/{dead['id']}/requeue", headers=bearer(root))
    assert requeued.status_code == 200, requeued.text
    assert wait_for_job(client, None, dead["id"], {})["status"] == "succeeded"
    assert watchlisted == [changed.id] and _processed(db, "ews.watchlist", changed.id).attempts == 4
    assert client.get("/api/v1/ops/dead-letters", headers=bearer(root)).json()["total"] == 0


def test_one_failing_consumer_does_not_hold_back_the_others(client, db, session, add_consumers):
    seen: list[str] = []

    def broken(_s, _event):
        raise RuntimeError("always")

    add_consumers(
        Consumer("test.broken", ("loan.*",), broken, max_attempts=2),
        Consumer("test.fine", ("loan.*",), lambda _s, event: seen.append(event.id)),
    )
    tenant = make_tenant(session)
    moved = events.emit(
        session,
        tenant=tenant,
        type="loan.dpd_changed",
        data=LoanDpdChanged(loan_id="L-1", previous_dpd=0, dpd=1, bucket="1-30", as_of=date(2026, 5, 1)),
    )
    session.commit()
    wait_until(lambda: _processed(db, "test.fine", moved.id))
    assert seen == [moved.id]
    assert wait_for_job(client, None, _retry_job(db, moved.id).id, {})["status"] == "dead"


def test_an_event_emitted_in_a_rolled_back_transaction_is_never_published(db, only_consumers):
    seen: list[str] = []
    only_consumers(Consumer("test.everything", ("#",), lambda _s, event: seen.append(event.type)))
    with db.session() as s:
        tenant_id = make_tenant(s).id
        s.commit()
        events.emit(
            s,
            tenant=tenant_id,
            type="loan.dpd_changed",
            data=LoanDpdChanged(loan_id="L-1", previous_dpd=0, dpd=1, bucket="1-30", as_of=date(2026, 5, 1)),
        )
        s.flush()  # written, but the change it describes is abandoned
        s.rollback()
    assert relay_once() == 0 and seen == []
    with db.session() as s:
        assert s.execute(select(OutboxEvent)).scalars().all() == []
        events.emit(s, tenant=tenant_id, type="alert.raised", data={**_ALERT})
        s.commit()
    assert relay_once() == 1 and seen == ["alert.raised"]


_ALERT = {"alert_id": "A-1", "kind": "npa_ratio", "subject": "portfolio", "level": "critical", "message": "NPA 6%"}


def test_consumers_run_in_the_events_tenant(db, session, only_consumers):
    """A consumer's session is narrowed to the event's tenant (row-level security on PostgreSQL)."""
    visible: dict[str, set[str | None]] = {}

    def look(s, event):
        visible[event.tenant] = {row.tenant_id for row in s.execute(select(OutboxEvent)).scalars()}

    only_consumers(Consumer("test.look", ("ptp.*",), look))
    alpha, beta = make_tenant(session, "alpha-nbfc"), make_tenant(session, "beta-nbfc")
    for tenant in (alpha, beta):
        events.emit(
            session,
            tenant=tenant,
            type="ptp.kept",
            data={
                "promise_id": "P",
                "case_id": "C",
                "loan_id": "L",
                "amount": Decimal("100"),
                "promised_on": date(2026, 1, 2),
                "paid_amount": Decimal("100"),
            },
        )
    session.commit()
    assert relay_once() == 2
    if db.is_postgres:
        assert visible == {"alpha-nbfc": {alpha.id}, "beta-nbfc": {beta.id}}
    else:  # SQLite has no second wall; the scope is still set for the consumer's own queries
        assert set(visible) == {"alpha-nbfc", "beta-nbfc"}


def test_one_bad_event_holds_back_only_itself(db, session, only_consumers):
    """A tenant's events reach a consumer together; when one fails, the others still take effect now."""
    booked: list[str] = []

    def book(s, event):
        if event.data["loan_id"] == "L-bad":
            raise KeyError("L-bad")
        booked.append(event.data["loan_id"])

    only_consumers(Consumer("test.book", ("loan.*",), book))
    tenant = make_tenant(session)
    emitted = {
        loan_id: events.emit(
            session,
            tenant=tenant,
            type="loan.dpd_changed",
            data=LoanDpdChanged(loan_id=loan_id, previous_dpd=0, dpd=3, bucket="1-30", as_of=date(2026, 5, 1)),
        ).id
        for loan_id in ("L-1", "L-bad", "L-2")
    }
    session.commit()
    assert relay_once() == 3
    assert sorted(set(booked)) == ["L-1", "L-2"]  # (tried together first, then one by one: run twice, kept once)
    assert _processed(db, "test.book", emitted["L-1"]).attempts == 1
    assert _processed(db, "test.book", emitted["L-bad"]) is None
    with db.session() as s:
        (retry,) = s.execute(select(Job).where(Job.kind == "event.consume")).scalars().all()
        assert retry.payload == {"consumer": "test.book", "event_id": emitted["L-bad"]} and retry.status == "queued"
        assert s.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one() == 2


def test_a_job_enqueued_in_a_savepoint_is_sent_when_the_transaction_commits(db, session, monkeypatch):
    """Consumers run in savepoints: a job they enqueue must not be sent when the savepoint is released."""
    sent: list[str] = []
    monkeypatch.setattr(broker, "send_job", lambda job_id, **_: sent.append(job_id) or True)
    with session.begin_nested():
        job = jobs.enqueue(session, kind="ops.selftest", tenant_id=None)
    assert sent == []  # released, not committed: a worker could not see the job yet
    session.commit()
    assert sent == [job.id]
