"""Storing decisions: an Idempotency-Key claimed by a concurrent request, decisions stored before
``inputs`` existed, and what a prepared application says about its bureau data."""

from __future__ import annotations

from sqlalchemy import text
from tests.factories import bearer
from tests.scoring.test_applications import NO_PULL, _apply

from creditdesk.scoring import pipeline
from creditdesk.scoring.schemas import ApplicationCreate


def test_a_key_claimed_by_a_concurrent_request_replays_or_refuses_at_the_claim(client, officer_and_admin, monkeypatch):
    """Two requests with one key can both pass the first look-up; the claim in the decision's own
    transaction is what decides: the same body replays the first decision, another body is a 409."""
    tenant, officer, admin = officer_and_admin
    first = _apply(client, tenant, officer, NO_PULL, **{"Idempotency-Key": "race-1"})
    assert first.status_code == 201, first.text
    # from here on every request behaves as if it had looked the key up before the first one committed
    monkeypatch.setattr("creditdesk.idempotency.service.lookup", lambda *args, **kwargs: None)

    same = _apply(client, tenant, officer, NO_PULL, **{"Idempotency-Key": "race-1"})
    assert same.status_code == 201 and same.headers.get("idempotent-replayed") == "true"
    assert same.json() == first.json()  # the applicant's sealed identity is put back in the replay

    other = _apply(client, tenant, officer, {**NO_PULL, "external_ref": "LOS-RACE-2"}, **{"Idempotency-Key": "race-1"})
    assert other.status_code == 409, other.text
    assert other.json()["detail"] == "This Idempotency-Key was already used with a different request body"

    listed = client.get(f"/api/v1/tenants/{tenant.slug}/applications", headers=bearer(admin)).json()
    assert listed["total"] == 1  # neither the replay nor the refused body stored a decision


def _forget(db, application_id: str, sets: str) -> None:
    """Make a stored decision look like one written before some of its columns existed."""
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))
        conn.execute(text(f"UPDATE application SET {sets} WHERE id = :id"), {"id": application_id})


def test_a_decision_stored_before_inputs_existed_shows_the_request_as_sent(client, officer_and_admin, db):
    tenant, officer, admin = officer_and_admin
    decided = _apply(client, tenant, officer, {**NO_PULL, "pull_bureaus": None})
    assert decided.status_code == 201, decided.text
    application_id = decided.json()["application_id"]
    _forget(db, application_id, "inputs = NULL")

    r = client.get(f"/api/v1/tenants/{tenant.slug}/applications/{application_id}", headers=bearer(admin))
    assert r.status_code == 200, r.text
    inputs = r.json()["inputs"]
    assert "pull_bureaus" not in inputs and inputs["external_ref"] == NO_PULL["external_ref"]
    # the identifying fields, sealed apart from the request, are put back into the applicant block
    assert inputs["applicant"]["name"] == NO_PULL["applicant"]["name"]
    assert inputs["applicant"]["pan"] == NO_PULL["applicant"]["pan"]
    assert float(inputs["loan"]["amount"]) == float(NO_PULL["loan"]["amount"])

    # nothing of the request kept either (the column is NOT NULL: an empty document)
    _forget(db, application_id, "inputs = NULL, request = '{}'")
    bare = client.get(f"/api/v1/tenants/{tenant.slug}/applications/{application_id}", headers=bearer(admin)).json()
    assert bare["inputs"] is None and bare["decision"] == decided.json()["decision"]


def test_a_prepared_application_says_when_its_bureau_data_was_unavailable():
    body = ApplicationCreate.model_validate(NO_PULL)
    assert pipeline.Prepared(body, {}, "unavailable").bureau_unavailable is True
    for status in ("pulled", "no_record", "supplied", "none"):
        assert pipeline.Prepared(body, {}, status).bureau_unavailable is False
