"""Model studio over the API: train on German Credit, model card, promote, permissions, isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.factories import bearer, make_tenant, make_user, wait_for_job

GERMAN = Path(__file__).resolve().parents[2] / "data" / "german_credit.csv"


@pytest.fixture
def lender(session, champion):
    tenant = make_tenant(session)
    analyst = make_user(session, tenant, "risk_analyst")
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    return tenant, analyst, officer


def _train(client, tenant, user, content: bytes, filename: str, **form):
    return client.post(
        f"/api/v1/tenants/{tenant.slug}/models/train",
        files={"file": (filename, content, "text/csv")},
        data=form,
        headers=bearer(user),
    )


def test_train_german_credit_through_the_api_then_promote_to_challenger(client, lender):
    tenant, analyst, officer = lender
    r = _train(client, tenant, analyst, GERMAN.read_bytes(), "german_credit.csv", target="creditability")
    assert r.status_code == 202, r.text
    job = wait_for_job(client, tenant.slug, r.json()["job_id"], bearer(analyst), timeout=300)
    assert job["status"] == "succeeded", job
    model_id = job["result"]["model_id"]
    card = client.get(f"/api/v1/tenants/{tenant.slug}/models/{model_id}", headers=bearer(analyst)).json()
    print("German Credit test AUC:", card["metrics"]["auc"])
    assert card["metrics"]["auc"] >= 0.74
    assert {"auc", "gini", "ks", "brier"} <= set(card["metrics"])
    assert card["status"] == "draft" and card["feature_set"] == "tabular" and not card["platform_default"]
    fairness = card["report"]["fairness"]
    text = str(fairness).lower()
    assert "age" in text and "gender" in text
    # a tabular model cannot take live traffic, but can shadow as a challenger
    bad = client.post(
        f"/api/v1/tenants/{tenant.slug}/models/{model_id}/promote", json={"role": "champion"}, headers=bearer(analyst)
    )
    assert bad.status_code == 422 and "application schema" in bad.json()["detail"]
    ok = client.post(
        f"/api/v1/tenants/{tenant.slug}/models/{model_id}/promote",
        json={"role": "challenger", "traffic": 0},
        headers=bearer(analyst),
    )
    assert ok.status_code == 200 and ok.json()["status"] == "challenger"
    listed = client.get(f"/api/v1/tenants/{tenant.slug}/models", headers=bearer(analyst)).json()["items"]
    assert {m["status"] for m in listed} == {"challenger", "champion"}


def test_bad_training_requests(client, lender):
    tenant, analyst, officer = lender
    csv = b"a,b,target\n1,2,0\n3,4,1\n"
    assert _train(client, tenant, officer, csv, "x.csv", target="target").status_code == 403
    r = _train(client, tenant, analyst, csv, "x.csv", target="nope")
    assert r.status_code == 422 and "'nope' is not in the file" in r.json()["detail"]
    assert _train(client, tenant, analyst, csv, "x.exe", target="target").status_code == 422
    assert _train(client, tenant, analyst, csv, "x.csv", target="target", algorithm="svm").status_code == 422


def test_untrainable_data_fails_the_job_with_a_reason(client, lender):
    tenant, analyst, _ = lender
    csv = b"a,target\n1,0\n2,0\n3,0\n"
    r = _train(client, tenant, analyst, csv, "x.csv", target="target")
    job = wait_for_job(client, tenant.slug, r.json()["job_id"], bearer(analyst), timeout=120)
    assert job["status"] == "failed" and job["attempts"] == 1 and job["error"]


def test_challenger_with_traffic_scores_a_share_and_champion_shadows(client, session, lender, trained_default):
    from creditdesk.ml import registry

    tenant, analyst, officer = lender
    model = registry.register(
        session,
        tenant_id=tenant.id,
        result=trained_default,
        name="tenant v1",
        dataset=None,
        target="default",
        created_by=None,
    )
    session.commit()
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/models/{model.id}/promote",
        json={"role": "challenger", "traffic": 0.5},
        headers=bearer(analyst),
    )
    assert r.status_code == 200
    import json

    sample = json.loads((GERMAN.parent / "sample_application.json").read_text())
    sample.pop("pull_bureaus")
    versions = set()
    for i in range(12):
        d = client.post(
            f"/api/v1/tenants/{tenant.slug}/applications",
            json={**sample, "external_ref": f"T-{i}"},
            headers=bearer(officer),
        ).json()
        versions.add(d["model"]["id"])
    assert model.id in versions and len(versions) == 2  # both models decided some applications
    assert (
        client.post(
            f"/api/v1/tenants/{tenant.slug}/models/{model.id}/promote",
            json={"role": "champion"},
            headers=bearer(officer),
        ).status_code
        == 403
    )
