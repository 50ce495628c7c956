"""Real-time decisions over the API: the §5 example, explanations, validation, idempotency, visibility."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.audit.test_audit import tampering
from tests.factories import bearer, make_tenant, make_user

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "data" / "sample_application.json").read_text())
NO_PULL = {k: v for k, v in SAMPLE.items() if k != "pull_bureaus"}


def _apply(client, tenant, user, body, **headers):
    return client.post(f"/api/v1/tenants/{tenant.slug}/applications", json=body, headers={**bearer(user), **headers})


def test_sample_application_is_decided_and_explained(client, officer_and_admin):
    tenant, officer, _ = officer_and_admin
    r = _apply(client, tenant, officer, NO_PULL)
    assert r.status_code == 201, r.text
    d = r.json()
    assert 0 <= d["score"] <= 100 and 300 <= d["credit_score"] <= 900 and 0 < d["pd"] < 1
    assert d["score"] == round(100 * (1 - d["pd"]))
    assert d["decision"] in ("Approve", "Review", "Reject")
    assert len(d["shap_explanation"]) == 3 and all(isinstance(t, str) and t for t in d["shap_explanation"])
    logit = math.log(d["pd"] / (1 - d["pd"]))
    assert abs(d["base_value"] + sum(c["impact"] for c in d["contributions"]) - logit) < 1e-6
    assert d["model"]["version"] >= 1 and d["model"]["id"] and d["policy_version"] == 0
    assert float(d["expected_loss"]) == pytest.approx(d["pd"] * 300000 * 0.6, abs=0.01)
    stored = client.get(f"/api/v1/tenants/{tenant.slug}/applications/{d['application_id']}", headers=bearer(officer))
    assert stored.status_code == 200 and stored.json()["contributions"] == d["contributions"]


def test_new_to_credit_applicant_is_decided(client, officer_and_admin):
    tenant, officer, _ = officer_and_admin
    body = {**NO_PULL, "bureau": None}
    body["applicant"] = {**SAMPLE["applicant"], "date_of_birth": "2004-01-15", "pan": None}
    r = _apply(client, tenant, officer, body)
    assert r.status_code == 201, r.text
    features = {c["feature"]: c["value"] for c in r.json()["contributions"]}
    assert features.get("new_to_credit") == 1


def test_validation_names_the_field_and_changes_nothing(client, officer_and_admin):
    tenant, officer, admin = officer_and_admin
    bad = json.loads(json.dumps(NO_PULL))
    bad["applicant"]["monthly_income"] = -5
    r = _apply(client, tenant, officer, bad)
    assert r.status_code == 422 and "body.applicant.monthly_income" in r.json()["detail"]
    bad = json.loads(json.dumps(NO_PULL))
    bad["applicant"]["pan"] = "NOTAPAN"
    assert _apply(client, tenant, officer, bad).status_code == 422
    listed = client.get(f"/api/v1/tenants/{tenant.slug}/applications", headers=bearer(admin)).json()
    assert listed["total"] == 0


def test_oversized_body_is_413(client, officer_and_admin):
    tenant, officer, _ = officer_and_admin
    body = {**NO_PULL, "external_ref": "x" * 2_000_000}
    assert _apply(client, tenant, officer, body).status_code == 413


def test_idempotency_replay_conflict_and_concurrency(client, officer_and_admin):
    tenant, officer, admin = officer_and_admin
    first = _apply(client, tenant, officer, NO_PULL, **{"Idempotency-Key": "k-1"})
    again = _apply(client, tenant, officer, NO_PULL, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    other = _apply(client, tenant, officer, {**NO_PULL, "external_ref": "LOS-OTHER"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409

    results: list = []

    def call() -> None:
        results.append(_apply(client, tenant, officer, NO_PULL, **{"Idempotency-Key": "k-concurrent"}))

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if r.status_code == 201]
    assert len(ok) == 16, [r.status_code for r in results]
    assert len({r.json()["application_id"] for r in ok}) == 1
    listed = client.get(f"/api/v1/tenants/{tenant.slug}/applications", headers=bearer(admin)).json()
    assert listed["total"] == 2  # k-1 and k-concurrent


def test_field_officer_sees_only_own_decisions(client, session, officer_and_admin):
    tenant, officer, admin = officer_and_admin
    other_officer = make_user(session, tenant, "field_officer")
    session.commit()
    mine = _apply(client, tenant, officer, NO_PULL).json()["application_id"]
    assert (
        client.get(f"/api/v1/tenants/{tenant.slug}/applications/{mine}", headers=bearer(other_officer)).status_code
        == 404
    )
    assert client.get(f"/api/v1/tenants/{tenant.slug}/applications", headers=bearer(other_officer)).json()["total"] == 0
    bad_filter = client.get(f"/api/v1/tenants/{tenant.slug}/applications?decision=Maybe", headers=bearer(admin))
    assert bad_filter.status_code == 422 and "decision" in bad_filter.json()["detail"]
    assert (
        client.get(f"/api/v1/tenants/{tenant.slug}/applications?external_ref=LOS-000123", headers=bearer(admin)).json()[
            "total"
        ]
        == 1
    )


def test_stateless_scoring_stores_nothing_not_even_an_audit_row(client, officer_and_admin):
    tenant, officer, admin = officer_and_admin
    r = client.post(f"/api/v1/tenants/{tenant.slug}/score", json=NO_PULL, headers=bearer(officer))
    assert r.status_code == 200 and set(r.json()) >= {"pd", "decision", "expected_loss", "reasons"}
    rb = client.post(
        f"/api/v1/tenants/{tenant.slug}/score/batch", json={"applications": [NO_PULL, NO_PULL]}, headers=bearer(officer)
    )
    assert rb.status_code == 200 and len(rb.json()["results"]) == 2
    assert client.get(f"/api/v1/tenants/{tenant.slug}/applications", headers=bearer(admin)).json()["total"] == 0
    actions = [
        e["action"] for e in client.get(f"/api/v1/tenants/{tenant.slug}/audit", headers=bearer(admin)).json()["items"]
    ]
    assert not [a for a in actions if a.startswith(("score", "http.", "application"))]  # a pure what-if call


def test_no_model_gives_a_clear_503(client, session):
    tenant = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    r = _apply(client, tenant, officer, NO_PULL)
    assert r.status_code == 503 and "champion" in r.json()["detail"]


def test_decisions_are_audited_on_sub_chains_that_verify(client, session, db, officer_and_admin):
    tenant, officer, admin = officer_and_admin
    ids = [
        _apply(client, tenant, officer, {**NO_PULL, "external_ref": f"A-{i}"}).json()["application_id"]
        for i in range(6)
    ]
    verify = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert verify["ok"] is True and verify["events"] >= 6 and verify["chains"] > 1
    events = client.get(f"/api/v1/tenants/{tenant.slug}/audit?action=application.decided", headers=bearer(admin)).json()
    assert {e["resource_id"] for e in events["items"]} == set(ids)
    target = events["items"][2]
    with tampering(db, "update") as conn:
        conn.execute(
            text("UPDATE audit_event SET details = :d WHERE id = :id"),
            {"d": '{"decision": "Approve"}', "id": target["id"]},
        )
    broken = client.get(f"/api/v1/tenants/{tenant.slug}/audit/verify", headers=bearer(admin)).json()
    assert broken["ok"] is False and broken["broken_event_id"] == target["id"] and broken["broken_chain"]


def test_metrics_after_traffic(client, officer_and_admin):
    tenant, officer, _ = officer_and_admin
    decision = _apply(client, tenant, officer, NO_PULL).json()["decision"]
    metrics = client.get("/metrics").text
    assert f'creditdesk_decisions_total{{decision="{decision}"}}' in metrics
    assert "creditdesk_scoring_seconds_bucket" in metrics
    assert (
        'creditdesk_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/v1/tenants/{tenant}/applications"'
        in metrics
    )
    assert "# TYPE creditdesk_job_queue gauge" in metrics
    assert "# TYPE creditdesk_bureau_breaker_open gauge" in metrics


def _with_bureau(**bureau):
    return {**NO_PULL, "bureau": {**SAMPLE["bureau"], **bureau}}


def test_approvals_show_key_factors_and_declines_their_adverse_reasons(client, officer_and_admin):
    tenant, officer, _ = officer_and_admin
    good = _apply(client, tenant, officer, _with_bureau(score=860, utilization=0.05, enquiries_last_6m=0)).json()
    assert good["decision"] == "Approve"
    assert good["adverse_reasons"] == []
    assert good["shap_explanation"] == good["positive_factors"] and good["positive_factors"]
    weak = _with_bureau(score=540, utilization=0.98, dpd_30_last_12m=4, max_dpd_last_24m=120)
    weak["applicant"] = {**SAMPLE["applicant"], "monthly_income": 20000}
    bad = _apply(client, tenant, officer, weak).json()
    assert bad["decision"] in ("Review", "Reject") and bad["positive_factors"] == []
    costs = [a["impact"] for a in bad["adverse_reasons"]]
    assert costs and costs == sorted(costs, reverse=True) and min(costs) >= 0.1
    knockouts = [k["reason"] for k in bad["knockouts"]]
    assert bad["shap_explanation"][: len(knockouts)] == knockouts  # the policy's reasons first
    assert bad["adverse_reasons"][0]["reason"] in bad["shap_explanation"]
    assert all(c["label"] and c["label"] != c["feature"] for c in bad["contributions"])
    assert bad["inputs"]["bureau"]["score"] == 540 and bad["bureau_status"] == "supplied"


def test_a_review_without_a_factor_above_the_minimum_says_so(client, officer_and_admin):
    tenant, officer, admin = officer_and_admin
    policy = client.get(f"/api/v1/tenants/{tenant.slug}/policy", headers=bearer(admin)).json()
    body = {k: v for k, v in policy.items() if k not in ("version", "created_at", "created_by")}
    body.update(approve_below_pd=0.0001, adverse_reason_min_impact=5, knockout_rules=[])
    assert client.put(f"/api/v1/tenants/{tenant.slug}/policy", json=body, headers=bearer(admin)).status_code == 200
    d = _apply(client, tenant, officer, NO_PULL).json()
    assert d["decision"] == "Review"
    assert d["adverse_reasons"] == [] and d["shap_explanation"] == ["No significant adverse factor"]
