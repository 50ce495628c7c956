"""Policy: versions, ZEN knock-outs (refused when they do not compile), thresholds, preview."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.factories import bearer, make_tenant, make_user

from creditdesk.ml.synthetic import persona

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "data" / "sample_application.json").read_text())
SAMPLE.pop("pull_bureaus")


@pytest.fixture
def lender(session, champion):
    tenant = make_tenant(session)
    analyst = make_user(session, tenant, "risk_analyst")
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    return tenant, analyst, officer


def test_policy_versions_and_knockouts(client, session, lender):
    tenant, analyst, officer = lender
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    url = f"/api/v1/tenants/{tenant.slug}/policy"
    current = client.get(url, headers=bearer(analyst)).json()
    assert current["version"] == 0 and current["approve_below_pd"] == 0.30 and current["reject_at_or_above_pd"] == 0.60
    policy = {
        **{k: current[k] for k in ("approve_below_pd", "reject_at_or_above_pd", "lgd", "limit_rules")},
        "knockout_rules": [
            {
                "name": "big_loans",
                "when": "loan_amount > 250000",
                "outcome": "Reject",
                "reason": "Loan above the product maximum",
            }
        ],
    }
    r = client.put(url, json=policy, headers=bearer(analyst))
    assert r.status_code == 200 and r.json()["version"] == 1
    d = client.post(f"/api/v1/tenants/{tenant.slug}/applications", json=SAMPLE, headers=bearer(officer)).json()
    assert d["decision"] == "Reject" and d["policy_version"] == 1
    assert d["shap_explanation"][0] == "Loan above the product maximum"
    assert d["knockouts"] == [{"name": "big_loans", "outcome": "Reject", "reason": "Loan above the product maximum"}]
    assert d["credit_limit"] == "0.00"
    audit = client.get(f"/api/v1/tenants/{tenant.slug}/audit?action=policy", headers=bearer(admin)).json()
    assert audit["total"] == 1


def test_bad_expression_is_refused_and_nothing_changes(client, lender):
    tenant, analyst, officer = lender
    url = f"/api/v1/tenants/{tenant.slug}/policy"
    bad = {"knockout_rules": [{"name": "x", "when": "age <<< 21", "outcome": "Reject", "reason": "r"}]}
    r = client.put(url, json=bad, headers=bearer(analyst))
    assert (
        r.status_code == 422
        and "does not compile" in r.json()["detail"]
        and "knockout_rules.0.when" in r.json()["detail"]
    )
    assert client.get(url, headers=bearer(analyst)).json()["version"] == 0
    inverted = client.put(url, json={"approve_below_pd": 0.7, "reject_at_or_above_pd": 0.5}, headers=bearer(analyst))
    assert inverted.status_code == 422
    assert client.put(url, json={}, headers=bearer(officer)).status_code == 403


def test_missing_data_does_not_fire_a_rule(client, lender):
    tenant, analyst, officer = lender
    rule = {
        "knockout_rules": [
            {"name": "low_score", "when": "bureau_score < 600", "outcome": "Reject", "reason": "Bureau score below 600"}
        ]
    }
    assert client.put(f"/api/v1/tenants/{tenant.slug}/policy", json=rule, headers=bearer(analyst)).status_code == 200
    ntc = {**SAMPLE, "bureau": None}
    d = client.post(f"/api/v1/tenants/{tenant.slug}/applications", json=ntc, headers=bearer(officer)).json()
    assert d["knockouts"] == []


def test_young_new_to_credit_upi_persona_can_be_approved(client, lender):
    tenant, _, officer = lender
    body = persona("ntc_upi_22").application
    body = {k: v for k, v in body.items() if k in ("applicant", "loan", "bureau", "alt_data")}
    body["applicant"] = {**body["applicant"], "name": "Riya (NTC)", "pan": None}
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/applications",
        json=json.loads(json.dumps(body, default=str)),
        headers=bearer(officer),
    )
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["decision"] == "Approve", d
    assert d["positive_factors"]


def test_policy_preview(client, lender):
    tenant, analyst, officer = lender
    for i in range(5):
        client.post(
            f"/api/v1/tenants/{tenant.slug}/applications",
            json={**SAMPLE, "external_ref": f"P{i}"},
            headers=bearer(officer),
        )
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/policy/preview",
        json={"approve_below_pd": 0.99, "reject_at_or_above_pd": 0.999},
        headers=bearer(analyst),
    )
    assert r.status_code == 200 and r.json()["applications"] == 5 and r.json()["approve_rate"] == 1.0
