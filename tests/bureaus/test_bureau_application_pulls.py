"""Applications with ``pull_bureaus``, end to end: stored configs, real sockets, cache, outage, recovery."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.bureaus.helpers import FAST_BUREAU_SETTINGS, clear_faults, put_body
from tests.factories import bearer, make_tenant, make_user

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
