"""Alerts: evaluated by a worker job, stored once per condition, acknowledged, resolved when cleared."""

from __future__ import annotations

from sqlalchemy import select
from tests.factories import wait_for_job
from tests.portfolio.fixtures import make_lender, seed_book

from creditdesk.db import get_database
from creditdesk.monitoring.scheduler import schedule_due
from creditdesk.worker.models import Job, OutboxEvent


def evaluate(client, lender):
    r = client.post(f"{lender.base}/monitoring/alerts/evaluate", headers=lender.headers())
    assert r.status_code == 202, r.text
    job = wait_for_job(client, lender.tenant.slug, r.json()["job_id"], lender.headers())
    assert job["status"] == "succeeded", job
    return job


def alerts(client, lender, status="all", role="admin"):
    r = client.get(f"{lender.base}/monitoring/alerts", params={"status": status}, headers=lender.headers(role))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def set_threshold(client, lender, value):
    r = client.put(f"{lender.base}/monitoring/settings", json={"npa_ratio_threshold": value}, headers=lender.headers())
    assert r.status_code == 200 and r.json()["npa_ratio_threshold"] == value, r.text


def test_npa_ratio_alert_is_raised_once_acknowledged_and_resolved(client, session):
    lender = make_lender(session)
    other = make_lender(session)
    session.commit()
    seed_book(session, lender, up_to_today=True)  # alerts are evaluated on today's book
    set_threshold(client, lender, 0.01)
    evaluate(client, lender)
    evaluate(client, lender)  # the condition still holds: refreshed, not raised again
    items = alerts(client, lender)
    assert [(a["kind"], a["level"]) for a in items] == [("npa_ratio", "critical")]
    alert = items[0]
    assert set(alert) >= {"id", "kind", "level", "message", "created_at", "acknowledged_at"}
    assert "Gross NPA ratio" in alert["message"] and alert["acknowledged_at"] is None
    with get_database().session() as s:
        raised = s.execute(select(OutboxEvent).where(OutboxEvent.kind == "alert.raised")).scalars().all()
        assert [e.payload["alert_id"] for e in raised] == [alert["id"]]

    ack_url = f"{lender.base}/monitoring/alerts/{alert['id']}/acknowledge"
    assert client.post(ack_url, headers=lender.headers("auditor")).status_code == 403
    assert (
        client.post(f"{other.base}/monitoring/alerts/{alert['id']}/acknowledge", headers=other.headers()).status_code
        == 404
    )
    acked = client.post(ack_url, headers=lender.headers())
    assert acked.status_code == 200 and acked.json()["acknowledged_at"]
    evaluate(client, lender)
    items = alerts(client, lender, role="auditor")
    assert len(items) == 1 and items[0]["acknowledged_at"] == acked.json()["acknowledged_at"]
    assert alerts(client, lender, status="unacknowledged") == []

    set_threshold(client, lender, 0.5)  # the condition clears: the alert is resolved
    evaluate(client, lender)
    assert alerts(client, lender, status="open") == []
    assert alerts(client, lender, status="resolved")[0]["id"] == alert["id"]
    set_threshold(client, lender, 0.01)  # and when it comes back it is a new alert
    evaluate(client, lender)
    assert len(alerts(client, lender, status="open")) == 1 and len(alerts(client, lender)) == 2
    assert alerts(client, other) == []


def test_the_scheduler_queues_each_tenant_once_per_interval(client, session):
    lender = make_lender(session)
    session.commit()
    db = get_database()
    assert schedule_due(db, interval_seconds=3600) >= 1
    assert schedule_due(db, interval_seconds=3600) == 0  # already claimed for this interval
    with db.session() as s:
        job = s.execute(
            select(Job).where(Job.kind == "monitoring.evaluate_alerts", Job.tenant_id == lender.tenant.id)
        ).scalar_one()
    assert wait_for_job(client, lender.tenant.slug, job.id, lender.headers())["status"] == "succeeded"
    assert (
        client.post(f"{lender.base}/monitoring/alerts/evaluate", headers=lender.headers("auditor")).status_code == 403
    )
    r = client.put(f"{lender.base}/monitoring/settings", json={"drift_warn_psi": 0.3}, headers=lender.headers())
    assert r.status_code == 422  # the warn level must stay below the alert level
