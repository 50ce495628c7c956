"""Drift against the champion's training baseline, and the alerts it raises (application rows inserted directly)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from tests.factories import wait_for_job
from tests.monitoring.scoring_rows import insert_application, insert_champion
from tests.portfolio.fixtures import make_lender

from creditdesk.db import utcnow
from creditdesk.ml import evaluation
from creditdesk.ml.features import FEATURES
from creditdesk.ml.synthetic import generate_book


@pytest.fixture(scope="module")
def baseline():
    book = generate_book(n=4000, seed=21)
    return evaluation.baselines(book.frame, {f.name: f.kind for f in FEATURES}, book.true_pd)


def applicants(n: int, seed: int, *, shifted: bool) -> list[tuple[dict, float]]:
    book = generate_book(n=n, seed=seed)
    frame = book.frame.copy()
    if shifted:  # a riskier inflow: bureau scores 150 points lower, revolving lines nearly maxed out
        has_bureau = frame["bureau_score"].notna()
        frame.loc[has_bureau, "bureau_score"] = np.clip(frame.loc[has_bureau, "bureau_score"] - 150, 300, 900)
        frame.loc[has_bureau, "bureau_utilization"] = 0.95
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return list(zip(rows, book.true_pd.tolist(), strict=True))


def insert(session, tenant_id, rows, *, days_ago: float = 1.0, approve_share: float | None = None):
    now = utcnow()
    for i, (features, pd_) in enumerate(rows):
        if approve_share is None:
            decision = "Approve" if pd_ < 0.3 else ("Reject" if pd_ >= 0.6 else "Review")
        else:
            decision = "Approve" if i < approve_share * len(rows) else "Reject"
        insert_application(
            session,
            tenant_id=tenant_id,
            features=features,
            pd=pd_,
            decision=decision,
            created_at=now - timedelta(days=days_ago, minutes=i),
        )


def test_shifted_bureau_inflow_is_an_alert_listed_once(client, session, baseline):
    lender = make_lender(session)
    steady = make_lender(session)
    insert_champion(session, tenant_id=None, baseline=baseline)  # the platform champion, for both tenants
    insert(session, lender.tenant.id, applicants(300, seed=22, shifted=True))
    insert(session, steady.tenant.id, applicants(300, seed=23, shifted=False))
    session.commit()

    drift = client.get(f"{lender.base}/monitoring/drift", params={"window_days": 30}, headers=lender.headers()).json()
    assert drift["applications"] == 300 and drift["sufficient_data"] and drift["model"]["version"] == 1
    by_feature = {f["feature"]: f for f in drift["features"]}
    assert by_feature["bureau_score"]["psi"] >= 0.25 and by_feature["bureau_score"]["level"] == "alert"
    assert by_feature["bureau_utilization"]["level"] == "alert"
    assert by_feature["age"]["level"] == "ok" and by_feature["monthly_income"]["level"] == "ok"
    assert drift["score"]["level"] in ("ok", "warn", "alert") and drift["score"]["psi"] >= 0

    calm = client.get(f"{steady.base}/monitoring/drift", headers=steady.headers()).json()
    assert {f["feature"]: f["level"] for f in calm["features"]}["bureau_score"] == "ok"

    for _ in range(2):  # evaluated twice: still one alert per drifting feature
        job = client.post(f"{lender.base}/monitoring/alerts/evaluate", headers=lender.headers()).json()
        assert wait_for_job(client, lender.tenant.slug, job["job_id"], lender.headers())["status"] == "succeeded"
    items = client.get(f"{lender.base}/monitoring/alerts", headers=lender.headers()).json()["items"]
    bureau = [a for a in items if a["kind"] == "drift" and a["subject"] == "bureau_score"]
    assert len(bureau) == 1 and bureau[0]["level"] == "critical" and "PSI" in bureau[0]["message"]
    assert len({(a["kind"], a["subject"]) for a in items}) == len(items)
    # a short window with no applications in it measures nothing
    empty = client.get(f"{lender.base}/monitoring/drift", params={"window_days": 1}, headers=lender.headers()).json()
    assert empty["applications"] == 0 and empty["features"] == []


def test_approval_rate_swing_and_overview(client, session):
    lender = make_lender(session)
    session.commit()
    insert(session, lender.tenant.id, applicants(60, seed=24, shifted=False), days_ago=10, approve_share=0.8)
    insert(session, lender.tenant.id, applicants(60, seed=25, shifted=False), days_ago=1, approve_share=0.3)
    session.commit()
    job = client.post(f"{lender.base}/monitoring/alerts/evaluate", headers=lender.headers()).json()
    assert wait_for_job(client, lender.tenant.slug, job["job_id"], lender.headers())["status"] == "succeeded"
    items = client.get(f"{lender.base}/monitoring/alerts", headers=lender.headers()).json()["items"]
    assert [(a["kind"], a["level"]) for a in items] == [("approval_rate_swing", "warning")]
    assert "fell from 80.0%" in items[0]["message"]

    overview = client.get(f"{lender.base}/monitoring/overview", headers=lender.headers()).json()
    assert overview["scoring_available"] and overview["applications"] == 120
    assert overview["decisions"] == {"Approve": 66, "Review": 0, "Reject": 54}
    assert overview["approval_rate"] == pytest.approx(0.55)
    assert sum(m["applications"] for m in overview["months"]) == 120
    assert all(sum(b["count"] for b in m["credit_score_bands"]) == m["applications"] for m in overview["months"])
    summary = client.get(f"{lender.base}/portfolio/summary", headers=lender.headers()).json()
    assert summary["applications"] == 120 and summary["approval_rate"] == pytest.approx(0.55)


def test_no_champion_means_no_drift_yet(client, session):
    lender = make_lender(session)
    session.commit()
    drift = client.get(f"{lender.base}/monitoring/drift", headers=lender.headers()).json()
    assert drift["model"] is None and drift["features"] == [] and "champion" in drift["note"]
