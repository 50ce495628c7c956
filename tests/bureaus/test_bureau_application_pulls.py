"""Applications with ``pull_bureaus``, end to end: stored configs, real sockets, cache, outage, recovery."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.bureaus.helpers import FAST_BUREAU_SETTINGS, clear_faults, put_body
from tests.factories import bearer, make_tenant, make_user, wait_for_job

from creditdesk.bureaus.schemas import BUREAUS
from creditdesk.bureaus.simulators import SimulatorFaults, pan_for_persona

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "data" / "sample_application.json").read_text())


@pytest.fixture(autouse=True)
def _fast(settings, live_simulators) -> Iterator[None]:
    for name, value in FAST_BUREAU_SETTINGS.items():
        setattr(settings, name, value)
    yield
    clear_faults(live_simulators[1])


@pytest.fixture
def lender(client, session, champion, live_simulators):
    tenant = make_tenant(session, "narmada-nbfc")
    analyst = bearer(make_user(session, None, "risk_analyst"))
    officer = bearer(make_user(session, tenant, "field_officer"))
    session.commit()
    for bureau in BUREAUS:
        r = client.put(
            f"/api/v1/tenants/{tenant.slug}/bureaus/{bureau}",
            json=put_body(bureau, live_simulators[0]),
            headers=analyst,
        )
        assert r.status_code == 200, r.text
    return tenant.slug, analyst, officer


def apply(client, slug: str, officer: dict[str, str], pan: str):  # type: ignore[no-untyped-def]
    body = {**SAMPLE, "applicant": {**SAMPLE["applicant"], "pan": pan}}
    body.pop("bureau")
    r = client.post(f"/api/v1/tenants/{slug}/applications", json=body, headers=officer)
    assert r.status_code == 201, r.text
    return r.json()


def test_three_reports_then_the_cache(client, lender):
    slug, _, officer = lender
    pan = pan_for_persona("prime", 7)
    first = apply(client, slug, officer, pan)
    reports = first["bureau_reports"]
    assert [(r["bureau"], r["status"], r["cached"]) for r in reports] == [(b, "ok", False) for b in BUREAUS]
    assert all(300 <= r["score"] <= 900 for r in reports)
    second = apply(client, slug, officer, pan)
    assert [r["cached"] for r in second["bureau_reports"]] == [True] * 3


def test_an_outage_is_decided_review_and_the_breaker_recovers(client, lender, live_simulators):
    slug, analyst, officer = lender
    sims = live_simulators[1]
    for bureau in BUREAUS:
        sims[bureau].set_faults(SimulatorFaults(outage=True))
    for n in range(FAST_BUREAU_SETTINGS["bureau_breaker_fail_max"]):
        decided = apply(client, slug, officer, pan_for_persona("prime", 40 + n))
        assert decided["decision"] == "Review"
        assert "Bureau data unavailable" in json.dumps(decided)
    states = client.get("/api/v1/ops/breakers", headers=analyst).json()["items"]
    assert {s["bureau"]: s["state"] for s in states if s["tenant"] == slug} == dict.fromkeys(BUREAUS, "open")
    started = time.perf_counter()
    decided = apply(client, slug, officer, pan_for_persona("prime", 50))
    assert time.perf_counter() - started < 1.5
    assert decided["decision"] == "Review"
    assert [r["status"] for r in decided["bureau_reports"]] == ["circuit_open"] * 3

    clear_faults(sims)
    time.sleep(FAST_BUREAU_SETTINGS["bureau_breaker_reset_seconds"] + 0.05)
    recovered = apply(client, slug, officer, pan_for_persona("prime", 51))
    assert [r["status"] for r in recovered["bureau_reports"]] == ["ok"] * 3
    states = client.get("/api/v1/ops/breakers", headers=analyst).json()["items"]
    assert {s["state"] for s in states if s["tenant"] == slug} == {"closed"}


# ---- the policy's bureau-pull rule ----------------------------------------------------------------


def _body(pan: str, **changes: object) -> dict[str, object]:
    body = {**SAMPLE, "applicant": {**SAMPLE["applicant"], "pan": pan}}
    body.pop("pull_bureaus")
    body.update(changes)
    return body


def _post(client, slug: str, headers: dict[str, str], body: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tenants/{slug}/applications", json=body, headers=headers)


def test_without_pull_bureaus_every_enabled_bureau_is_pulled_and_the_decision_shows_what_it_used(client, lender):
    slug, _, officer = lender
    r = _post(client, slug, officer, _body(pan_for_persona("prime", 60)))  # typed bureau block: score 712
    assert r.status_code == 201, r.text
    decided = r.json()
    assert [(p["bureau"], p["status"]) for p in decided["bureau_reports"]] == [(b, "ok") for b in BUREAUS]
    assert decided["bureau_status"] == "pulled"
    pulled = {p["score"] for p in decided["bureau_reports"]}
    used = decided["inputs"]["bureau"]["score"]
    assert used in pulled and used != 712  # the typed score was replaced by the merged pulled one
    stored = client.get(f"/api/v1/tenants/{slug}/applications/{decided['application_id']}", headers=officer).json()
    assert stored["inputs"] == decided["inputs"] and stored["bureau_status"] == "pulled"


def test_the_policy_names_the_bureaus_and_only_a_permitted_user_narrows_them(client, lender):
    slug, analyst, officer = lender
    policy = client.get(f"/api/v1/tenants/{slug}/policy", headers=analyst).json()
    assert policy["bureau_pull"] == {"bureaus": None}  # default: every enabled bureau
    changed = {k: v for k, v in policy.items() if k not in ("version", "created_at", "created_by")}
    r = client.put(
        f"/api/v1/tenants/{slug}/policy",
        json={**changed, "bureau_pull": {"bureaus": ["cibil", "crif"]}},
        headers=analyst,
    )
    assert r.status_code == 200, r.text
    decided = _post(client, slug, officer, _body(pan_for_persona("prime", 61))).json()
    assert [p["bureau"] for p in decided["bureau_reports"]] == ["cibil", "crif"]

    narrowed = _body(pan_for_persona("prime", 62), pull_bureaus=["cibil"])
    refused = _post(client, slug, officer, narrowed)
    assert refused.status_code == 403
    assert "crif" in refused.json()["detail"] and "applications:choose_bureaus" in refused.json()["detail"]
    assert _post(client, slug, officer, {**narrowed, "pull_bureaus": ["cibil", "crif", "experian"]}).status_code == 201
    allowed = _post(client, slug, analyst, narrowed)
    assert allowed.status_code == 201, allowed.text
    assert [p["bureau"] for p in allowed.json()["bureau_reports"]] == ["cibil"]


def test_a_pan_with_no_reachable_bureau_is_unavailable_not_new_to_credit(client, lender, live_simulators):
    slug, _, officer = lender
    for bureau in BUREAUS:
        live_simulators[1][bureau].set_faults(SimulatorFaults(outage=True))
    body = _body(pan_for_persona("prime", 63))
    body.pop("bureau")
    decided = _post(client, slug, officer, body).json()
    assert decided["bureau_status"] == "unavailable"
    assert decided["decision"] == "Review"
    assert decided["shap_explanation"][0] == "Bureau data unavailable"
    assert "No credit history" not in json.dumps(decided["shap_explanation"])
    assert not [
        a for a in decided["adverse_reasons"] if a["feature"].startswith("bureau_") or a["feature"] == "new_to_credit"
    ]


def test_a_tenant_without_bureaus_does_not_silently_score_a_pan_as_new_to_credit(client, session, champion):
    tenant = make_tenant(session, "godavari-nbfc")
    officer = bearer(make_user(session, tenant, "field_officer"))
    session.commit()
    body = _body("ABCPV1234K")
    body.pop("bureau")
    decided = _post(client, tenant.slug, officer, body).json()
    assert decided["bureau_status"] == "unavailable" and decided["decision"] == "Review"
    assert decided["bureau_reports"] == []
    assert "Bureau data unavailable" in decided["shap_explanation"]
    typed = _post(client, tenant.slug, officer, _body("ABCPV1234K")).json()  # typed bureau values are used
    assert typed["bureau_status"] == "supplied" and typed["inputs"]["bureau"]["score"] == 712
    no_pan = _body("ABCPV1234K")
    no_pan["applicant"] = {k: v for k, v in SAMPLE["applicant"].items() if k != "pan"}
    no_pan.pop("bureau")
    assert _post(client, tenant.slug, officer, no_pan).json()["bureau_status"] == "none"


def test_a_batch_row_may_not_narrow_the_policy_without_the_permission(client, lender):
    slug, _, officer = lender
    rows = [_body(pan_for_persona("prime", 64)), _body(pan_for_persona("prime", 65), pull_bureaus=["experian"])]
    r = client.post(
        f"/api/v1/tenants/{slug}/batches",
        files={"file": ("b.json", json.dumps(rows).encode(), "application/json")},
        headers=officer,
    )
    assert r.status_code == 202, r.text
    batch_id = r.json()["batch_id"]
    wait_for_job(client, slug, r.json()["job_id"], officer)
    results = client.get(f"/api/v1/tenants/{slug}/batches/{batch_id}/results.csv", headers=officer).text
    lines = list(csv.DictReader(io.StringIO(results)))
    assert lines[0]["decision"] and lines[0]["bureau_status"] == "pulled"
    assert lines[1]["decision"] == "" and "pull_bureaus" in lines[1]["error"] and "cibil" in lines[1]["error"]


def test_a_written_off_account_at_a_bureau_reaches_the_decision(client, lender):
    """The merged block carries ``written_off``: the model's feature and the default knock-out see it."""
    slug, _, officer = lender
    decided = apply(client, slug, officer, pan_for_persona("written_off"))
    assert decided["inputs"]["bureau"]["written_off"] is True
    assert "written_off_account" in [k["name"] for k in decided["knockouts"]]
    assert decided["decision"] == "Reject"
