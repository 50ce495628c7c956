"""Jobs: retries with backoff, permanent failures, dead letters and requeue, restart recovery."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from tests.factories import bearer, make_tenant, make_user, wait_for_job

from creditdesk.events.publisher import Consumer
from creditdesk.worker import registry, service
from creditdesk.worker.models import Job, OutboxEvent
from creditdesk.worker.outbox import relay_once


def _selftest(client, headers, **body):
    r = client.post("/api/v1/ops/selftest", json=body, headers=headers)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def test_transient_failures_are_retried_then_succeed(client, session):
    root = make_user(session, None, "platform_admin")
    session.commit()
    job_id = _selftest(client, bearer(root), fail_times=3, max_attempts=4, steps=4)
    job = wait_for_job(client, None, job_id, bearer(root))
    assert job["status"] == "succeeded" and job["attempts"] == 4 and job["progress"] == 1.0
    assert job["result"] == {"attempts": 4}


def test_permanent_failure_is_not_retried(client, session):
    root = make_user(session, None, "platform_admin")
    session.commit()
    job = wait_for_job(client, None, _selftest(client, bearer(root), permanent=True), bearer(root))
    assert job["status"] == "failed" and job["attempts"] == 1 and "permanent" in job["error"]


def test_exhausted_job_is_dead_lettered_and_requeue_runs_it(client, session):
    root = make_user(session, None, "platform_admin")
    analyst = make_user(session, None, "risk_analyst")
    session.commit()
    job_id = _selftest(client, bearer(root), fail_times=3, max_attempts=3)
    job = wait_for_job(client, None, job_id, bearer(root))
    assert job["status"] == "dead" and job["attempts"] == 3 and "transient failure 3" in job["error"]
    dead = client.get("/api/v1/ops/dead-letters", headers=bearer(root)).json()
    assert [d["id"] for d in dead["items"]] == [job_id] and dead["items"][0]["error"]
    assert client.get("/api/v1/ops/dead-letters", headers=bearer(analyst)).status_code == 403
    # the fault is gone (the self-test fails only its first three attempts): requeue succeeds
    r = client.post(f"/api/v1/ops/dead-letters/{job_id}/requeue", headers=bearer(root))
    assert r.status_code == 200 and r.json()["status"] == "queued"
    job = wait_for_job(client, None, job_id, bearer(root))
    assert job["status"] == "succeeded" and job["attempts"] == 4
    assert client.get("/api/v1/ops/dead-letters", headers=bearer(root)).json()["total"] == 0
    assert client.post(f"/api/v1/ops/dead-letters/{job_id}/requeue", headers=bearer(root)).status_code == 409


def test_tenant_job_status_is_tenant_scoped(client, session):
    tenant = make_tenant(session)
    other = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    job = service.enqueue(
        session, kind="ops.selftest", tenant_id=tenant.id, payload={"steps": 2}, created_by=officer.id
    )
    foreign = service.enqueue(session, kind="ops.selftest", tenant_id=other.id, created_by=officer.id)
    session.commit()
    done = wait_for_job(client, tenant.slug, job.id, bearer(officer))
    assert done["status"] == "succeeded" and done["kind"] == "ops.selftest"
    assert client.get(f"/api/v1/tenants/{tenant.slug}/jobs/{foreign.id}", headers=bearer(officer)).status_code == 404


def test_unfinished_jobs_survive_a_restart(app, db, session):
    """A job committed but never sent (the process died) runs when the app starts again."""
    from fastapi.testclient import TestClient

    tenant = make_tenant(session)
    job = Job(kind="ops.selftest", tenant_id=tenant.id, payload={}, status="running")  # interrupted mid-run
    session.add(job)
    session.commit()
    root = make_user(session, None, "platform_admin")
    session.commit()
    with TestClient(app) as client:  # lifespan start = process start
        done = wait_for_job(client, None, job.id, bearer(root))
    assert done["status"] == "succeeded"


def test_rolled_back_transaction_sends_no_job(client, db, session):
    tenant = make_tenant(session)
    session.commit()
    with db.session() as s:
        service.enqueue(s, kind="ops.selftest", tenant_id=tenant.id)
        s.rollback()
    with db.session() as s:
        assert s.execute(select(Job)).scalars().all() == []


def test_outbox_events_are_relayed_once(client, db, session):
    seen: list[str] = []
    running = registry.installed()  # the app's, installed when its worker started
    watcher = Consumer("test.watcher", ("test.#",), lambda _s, evt: seen.append(evt.id))
    registry.install(replace(running, publisher=running.publisher.with_consumers(watcher)))
    tenant = make_tenant(session)
    evt = service.emit(session, kind="test.happened", tenant_id=tenant.id, payload={"x": 1})
    session.commit()
    relay_once()
    relay_once()
    import time

    time.sleep(0.3)  # the background relay may also have run: still exactly once
    assert seen.count(evt.id) == 1
    with db.session() as s:
        assert s.get(OutboxEvent, evt.id).published_at is not None
