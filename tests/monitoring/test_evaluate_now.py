"""“Evaluate now” against a real server: 20 concurrent requests, one alert per drifting feature, audited.

The drift table and the Alerts card must agree once an evaluation ran: every feature the drift
report puts at ALERT is an open critical alert, and none is listed twice however many requests race.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.factories import PASSWORD
from tests.monitoring.scoring_rows import insert_champion
from tests.monitoring.test_drift import applicants, insert
from tests.portfolio.fixtures import make_lender
from tests.servers import serve

from creditdesk.audit.models import AuditEvent
from creditdesk.db import get_database
from creditdesk.ml import evaluation
from creditdesk.ml.features import FEATURES
from creditdesk.ml.synthetic import generate_book
from creditdesk.worker.models import Job


@pytest.fixture
def drifting_lender(session):
    """A tenant whose last 30 days of applications drifted far from the champion's training data."""
    book = generate_book(n=4000, seed=21)
    baseline = evaluation.baselines(book.frame, {f.name: f.kind for f in FEATURES}, book.true_pd)
    lender = make_lender(session)
    insert_champion(session, tenant_id=None, baseline=baseline)
    insert(session, lender.tenant.id, applicants(300, seed=22, shifted=True))
    session.commit()
    return lender


@pytest.fixture
def server(db_url, db, tmp_path: Path):
    """``creditdesk serve`` (one process, in-process worker) on this test's database."""
    with serve(database_url=db_url, tmp_path=tmp_path) as base:
        yield base


def login(base: str, email: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _burst(url: str, headers: dict[str, str], n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=60) as client:
        return await asyncio.gather(*(client.post(url, headers=headers) for _ in range(n)))


def _wait_until_done(tenant_id: str, timeout: float = 90) -> list[Job]:
    deadline = time.monotonic() + timeout
    while True:
        with get_database().session() as s:
            rows = list(
                s.execute(
                    select(Job).where(Job.tenant_id == tenant_id, Job.kind == "monitoring.evaluate_alerts")
                ).scalars()
            )
        if rows and all(j.status not in ("queued", "running") for j in rows):
            return rows
        assert time.monotonic() < deadline, [(j.id, j.status) for j in rows]
        time.sleep(0.2)


def test_twenty_concurrent_evaluations_raise_each_drift_alert_once(server, drifting_lender):
    lender = drifting_lender
    api = f"{server}/api/v1/tenants/{lender.tenant.slug}"
    admin = login(server, lender.admin.email)

    drift = httpx.get(f"{api}/monitoring/drift", headers=admin, timeout=30).json()
    alerting = {f["feature"] for f in drift["features"] if f["level"] == "alert"}
    warning = {f["feature"] for f in drift["features"] if f["level"] == "warn"}
    assert {"bureau_score", "bureau_utilization"} <= alerting
    assert httpx.get(f"{api}/monitoring/alerts", headers=admin).json()["items"] == []  # nothing evaluated yet

    responses = asyncio.run(_burst(f"{api}/monitoring/alerts/evaluate", admin, 20))
    assert Counter(r.status_code for r in responses) == {202: 20}, [r.text for r in responses if r.status_code != 202]
    jobs = _wait_until_done(lender.tenant.id)
    assert all(j.status == "succeeded" for j in jobs), [(j.status, j.error) for j in jobs]
    assert len(jobs) <= 20 and {r.json()["job_id"] for r in responses} == {j.id for j in jobs}

    items = httpx.get(f"{api}/monitoring/alerts", params={"status": "open"}, headers=admin).json()["items"]
    subjects = Counter((a["kind"], a["subject"]) for a in items)
    assert all(n == 1 for n in subjects.values()), subjects  # never listed twice
    drift_alerts = {a["subject"]: a["level"] for a in items if a["kind"] == "drift"}
    assert alerting <= set(drift_alerts) and all(drift_alerts[f] == "critical" for f in alerting)
    assert warning <= set(drift_alerts) and all(drift_alerts[f] == "warning" for f in warning)

    # every request is audited; an auditor may not evaluate
    with get_database().session() as s:
        audited = s.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "monitoring.alerts_evaluation_requested")
        ).scalar_one()
    assert audited == 20
    auditor = login(server, lender.auditor.email)
    assert httpx.post(f"{api}/monitoring/alerts/evaluate", headers=auditor).status_code == 403
