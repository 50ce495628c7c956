"""Broker outages: a failed send never fails the request, the job waits queued, the sweep re-sends it.

The RabbitMQ test puts a TCP proxy (tests/worker/faults.py) between the app and the shared RabbitMQ,
so it can take "the broker" down and bring it back without disturbing other users of the server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import select
from tests.factories import bearer, make_tenant, make_user, wait_for_job
from tests.scoring.test_batches import make_csv
from tests.servers import AMQP_URL, rabbit_reachable
from tests.worker.faults import TcpProxy

from creditdesk.config import get_settings
from creditdesk.db import utcnow
from creditdesk.tasks import TASK_REGISTRY
from creditdesk.worker import broker, service
from creditdesk.worker.models import Job
from creditdesk.worker.outbox import OutboxRelayThread

DEAD_AMQP = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens on port 1


def _send_failures(reason: str) -> float:
    return REGISTRY.get_sample_value("creditdesk_job_send_failures_total", {"reason": reason}) or 0.0


@pytest.fixture
def fresh_broker() -> Iterator[None]:
    """Each test builds its broker from its own settings, and leaves none behind."""
    broker.reset_broker()
    yield
    broker.stop_worker()
    broker.reset_broker()


def _use_broker(monkeypatch: pytest.MonkeyPatch, url: str | None):  # type: ignore[no-untyped-def]
    if url:
        monkeypatch.setenv("CREDITDESK_BROKER_URL", url)
    else:
        monkeypatch.delenv("CREDITDESK_BROKER_URL", raising=False)
    get_settings.cache_clear()
    broker.reset_broker()
    return get_settings()


def _wait_until(predicate, timeout: float = 60.0, interval: float = 0.1) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def test_a_send_to_a_dead_broker_returns_false_fast_and_the_next_ones_are_deferred(
    settings, monkeypatch, fresh_broker
) -> None:
    _use_broker(monkeypatch, DEAD_AMQP)
    errors, skipped = _send_failures("error"), _send_failures("skipped")
    started = time.perf_counter()
    assert broker.send_job("no-such-job") is False
    for _ in range(20):
        assert broker.send_job("no-such-job") is False
    assert time.perf_counter() - started < 5.0  # generous: a refused port, then not even tried
    assert _send_failures("error") == errors + 1
    assert _send_failures("skipped") == skipped + 20


def test_a_commit_with_the_broker_down_keeps_the_job_queued(settings, db, monkeypatch, fresh_broker) -> None:
    _use_broker(monkeypatch, DEAD_AMQP)
    with db.session() as s:
        tenant = make_tenant(s)
        job = service.enqueue(s, kind="ops.selftest", tenant_id=tenant.id)
        s.commit()  # the after-commit send fails: logged and counted, not raised
    assert service.status_of(db, job.id) == "queued"


def test_a_batch_posted_while_the_broker_is_down_is_accepted(settings, db, champion, monkeypatch, fresh_broker):
    from creditdesk.main import create_app

    settings = _use_broker(monkeypatch, DEAD_AMQP)
    with db.session() as s:
        tenant = make_tenant(s)
        officer = make_user(s, tenant, "field_officer")
        s.commit()
    errors = _send_failures("error") + _send_failures("skipped")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.post(
            f"/api/v1/tenants/{tenant.slug}/batches",
            files={"file": ("apps.csv", make_csv(3), "text/csv")},
            headers=bearer(officer),
        )
        assert r.status_code == 202, r.text  # committed, so a success — not a 500
        job = client.get(f"/api/v1/tenants/{tenant.slug}/jobs/{r.json()['job_id']}", headers=bearer(officer)).json()
    assert job["status"] == "queued"
    assert _send_failures("error") + _send_failures("skipped") == errors + 1


def test_the_sweep_resends_only_jobs_that_waited_too_long(settings, db, monkeypatch, fresh_broker) -> None:
    _use_broker(monkeypatch, None)  # the in-process broker: every send succeeds and stays in its queue
    stub = broker.get_broker()
    now = utcnow()
    ago = lambda s: now - timedelta(seconds=s)  # noqa: E731
    with db.session() as s, s.begin():
        jobs = {
            "fresh": Job(kind="ops.selftest", created_at=ago(5)),
            "stale": Job(kind="ops.selftest", created_at=ago(45)),
            "requeued": Job(kind="ops.selftest", created_at=ago(3600), updated_at=ago(40)),
            "backing_off": Job(kind="ops.selftest", created_at=ago(200), updated_at=ago(70), error="Boom"),
            "retry_lost": Job(kind="ops.selftest", created_at=ago(200), updated_at=ago(100), error="Boom"),
            "running": Job(kind="ops.selftest", created_at=ago(300), status="running", lease_until=ago(200)),
            "done": Job(kind="ops.selftest", created_at=ago(300), status="succeeded"),
        }
        s.add_all(jobs.values())
    ids = {name: job.id for name, job in jobs.items()}

    assert broker.resend_stale_jobs(db, older_than_s=30, backoff_s=60) == 3
    sent = [m.args[0] for m in _drain(stub)]
    assert sorted(sent) == sorted([ids["stale"], ids["requeued"], ids["retry_lost"]])
    assert broker.resend_stale_jobs(db, older_than_s=30, backoff_s=60) == 0  # touched: not again this period
    with db.session() as s:
        assert s.get(Job, ids["stale"]).status == "queued"  # the sweep only sends; claim() decides


def _drain(stub):  # type: ignore[no-untyped-def]
    from dramatiq import Message

    queue = stub.queues[broker.QUEUE]
    out = []
    while not queue.empty():
        out.append(Message.decode(queue.get_nowait()))
    return out


def test_duplicate_messages_run_a_job_once(client, db, session) -> None:
    """claim() is what makes a re-send harmless: a second message finds the job taken or finished."""
    root = make_user(session, None, "platform_admin")
    job = service.enqueue(session, kind="ops.selftest", tenant_id=None, payload={"steps": 3})
    session.commit()  # first message
    assert broker.send_job(job.id) and broker.send_job(job.id)  # two more
    done = wait_for_job(client, None, job.id, bearer(root))
    assert done["status"] == "succeeded" and done["attempts"] == 1
    assert broker.send_job(job.id)  # one more after it finished: dropped
    time.sleep(0.3)
    with db.session() as s:
        assert s.get(Job, job.id).attempts == 1


def test_the_outbox_relay_keeps_polling_through_errors(monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from creditdesk.worker import outbox

    calls: list[str] = []
    outcomes: list[object] = [
        OperationalError("SELECT", {}, Exception("connection refused")),
        RuntimeError("broker gone"),
        3,
        0,
    ]

    def relay() -> int:
        outcome = outcomes.pop(0) if outcomes else 0
        calls.append(type(outcome).__name__)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[return-value]

    warnings: list[str] = []
    infos: list[str] = []

    class FakeLog:
        def warning(self, event: str, **_: object) -> None:
            warnings.append(event)

        def info(self, event: str, **_: object) -> None:
            infos.append(event)

    monkeypatch.setattr(outbox, "log", FakeLog())
    thread = OutboxRelayThread(interval=0.01, relay=relay)
    thread.start()
    try:
        assert _wait_until(lambda: len(calls) >= 6, timeout=10)
    finally:
        thread.stop()
    assert calls[:4] == ["OperationalError", "RuntimeError", "int", "int"]
    assert warnings == ["outbox relay failed"]  # the second failure in a row is not logged again
    assert infos == ["outbox relay recovered"] and thread.failures == 0 and thread.is_alive() is False


@pytest.mark.rabbitmq
def test_jobs_created_while_rabbitmq_is_down_are_delivered_by_the_sweep_when_it_returns(
    settings, db, champion, monkeypatch, fresh_broker
):
    from creditdesk.main import create_app

    rabbit_reachable()
    target = urlsplit(AMQP_URL)
    with db.session() as s:
        tenant = make_tenant(s)
        officer = make_user(s, tenant, "field_officer")
        s.commit()
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 5672) as proxy:
        settings = _use_broker(
            monkeypatch, f"amqp://{target.username}:{target.password}@127.0.0.1:{proxy.port}{target.path or '/'}"
        )
        proxy.down()  # RabbitMQ is "down" for the app
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            r = client.post(
                f"/api/v1/tenants/{tenant.slug}/batches",
                files={"file": ("apps.csv", make_csv(4), "text/csv")},
                headers=bearer(officer),
            )
        assert r.status_code == 202, r.text
        job_id, batch_id = r.json()["job_id"], r.json()["batch_id"]
        assert service.status_of(db, job_id) == "queued"

        proxy.up()  # it is back; a worker (in this process) consumes through the proxy
        broker.start_worker(settings, TASK_REGISTRY, recover=False)
        time.sleep(1.0)
        assert service.status_of(db, job_id) == "queued"  # nothing re-sends it by itself …
        sent = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and service.status_of(db, job_id) == "queued":
            # … until the sweep does (again every few seconds, in case another consumer of the
            # shared queue took the message — it would drop a job unknown to its database)
            sent += broker.resend_stale_jobs(db, older_than_s=0)
            _wait_until(lambda: service.status_of(db, job_id) != "queued", timeout=3)
        assert sent >= 1
        assert _wait_until(lambda: service.status_of(db, job_id) == "succeeded", timeout=60)
        broker.stop_worker()  # while its connection still works
    from creditdesk.scoring.models import BatchRow

    with db.session() as s:
        states = s.execute(select(BatchRow.state).where(BatchRow.batch_id == batch_id)).scalars().all()
    assert sorted(states) == ["done"] * 4
