"""``GET/PUT …/contact-policy``: RBI's defaults, only tightening, the WhatsApp warning, versions, audit,
permissions and tenant isolation; concurrent saves over real HTTP lose nothing and never 500."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.factories import bearer, make_tenant, make_user
from tests.payments.conftest import running

from creditdesk.audit.models import AuditEvent
from creditdesk.channels.models import ContactPolicyRecord
from creditdesk.db import set_tenant_scope


@pytest.fixture
def lender(session) -> dict[str, Any]:
    tenant, other = make_tenant(session), make_tenant(session)
    users = {
        role: make_user(session, tenant, role) for role in ("tenant_admin", "risk_analyst", "auditor", "field_officer")
    }
    other_admin = make_user(session, other, "tenant_admin")
    session.commit()
    return {
        "tenant": tenant,
        "url": f"/api/v1/tenants/{tenant.slug}/contact-policy",
        "users": users,
        "other_admin": other_admin,
    }


def _as(lender: dict[str, Any], role: str) -> dict[str, str]:
    return bearer(lender["users"][role])


def _policy(read: dict[str, Any]) -> dict[str, Any]:
    """The policy part of a read, ready to send back."""
    keep = ("window_start", "window_end", "caps", "blackout_dates", "whatsapp_collections_enabled")
    return {k: read[k] for k in keep} | {"borrower_initiated_exemptions": read["borrower_initiated_exemptions"]}


def test_the_defaults_are_rbis_window_and_may_only_be_tightened(client, lender, session):
    r = client.get(lender["url"], headers=_as(lender, "risk_analyst"))
    assert r.status_code == 200, r.text
    read = r.json()
    assert (read["window_start"], read["window_end"], read["version"], read["is_default"]) == (
        "08:00",
        "19:00",
        0,
        True,
    )
    assert read["whatsapp_collections_enabled"] is False and "prohibits" in read["whatsapp_collections_warning"]
    assert read["limits"]["caps"]["sms"] == {"per_day": 5, "per_week": 20}

    tighter = _policy(read) | {"window_start": "09:00", "window_end": "18:30", "version": 0}
    tighter["caps"]["sms"] = {"per_day": 2, "per_week": 6}
    tighter["blackout_dates"] = [{"date": "2026-11-08", "reason": "Diwali"}]
    r = client.put(lender["url"], json=tighter, headers=_as(lender, "tenant_admin"))
    assert r.status_code == 200, r.text
    saved = r.json()
    assert (saved["window_start"], saved["window_end"], saved["version"], saved["is_default"]) == (
        "09:00",
        "18:30",
        1,
        False,
    )
    assert saved["caps"]["sms"] == {"per_day": 2, "per_week": 6} and saved["updated_by"]
    assert client.get(lender["url"], headers=_as(lender, "auditor")).json()["blackout_dates"][0]["reason"] == "Diwali"

    looser = _policy(saved) | {"window_start": "07:00", "window_end": "21:00"}
    looser["caps"]["voice"] = {"per_day": 9, "per_week": 30}
    r = client.put(lender["url"], json=looser, headers=_as(lender, "tenant_admin"))
    assert r.status_code == 422, r.text
    fields = {f["field"] for f in r.json()["fields"]}
    assert fields == {"body.window_start", "body.window_end", "body.caps.voice.per_day", "body.caps.voice.per_week"}
    assert client.get(lender["url"], headers=_as(lender, "tenant_admin")).json()["window_start"] == "09:00"

    set_tenant_scope(session, lender["tenant"].id)
    audited = session.execute(
        select(AuditEvent).where(AuditEvent.action == "channels.contact_policy_updated")
    ).scalars()
    assert [(e.details["changed"], e.details["version"]) for e in audited] == [
        (["blackout_dates", "caps", "window_end", "window_start"], 1)
    ]


def test_whatsapp_collections_need_the_warning_acknowledged_and_a_stale_version_is_409(client, lender):
    read = client.get(lender["url"], headers=_as(lender, "tenant_admin")).json()
    on = _policy(read) | {"whatsapp_collections_enabled": True}
    r = client.put(lender["url"], json=on, headers=_as(lender, "tenant_admin"))
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "body.acknowledge_whatsapp_collections_warning"
    r = client.put(
        lender["url"],
        json=on | {"acknowledge_whatsapp_collections_warning": True, "version": 0},
        headers=_as(lender, "tenant_admin"),
    )
    assert r.status_code == 200 and r.json()["whatsapp_collections_enabled"] is True and r.json()["version"] == 1
    r = client.put(lender["url"], json=_policy(read) | {"version": 0}, headers=_as(lender, "tenant_admin"))
    assert r.status_code == 409 and "version 0, now 1" in r.json()["detail"]


def test_only_a_tenant_admin_changes_it_and_other_tenants_see_nothing(client, lender):
    body = _policy(client.get(lender["url"], headers=_as(lender, "tenant_admin")).json())
    for role in ("risk_analyst", "auditor", "field_officer"):
        assert client.put(lender["url"], json=body, headers=_as(lender, role)).status_code == 403, role
    assert client.get(lender["url"], headers=_as(lender, "field_officer")).status_code == 403
    assert client.get(lender["url"], headers=bearer(lender["other_admin"])).status_code == 404
    assert client.put(lender["url"], json=body, headers=bearer(lender["other_admin"])).status_code == 404
    assert (
        client.put(lender["url"], json=body | {"shout": True}, headers=_as(lender, "tenant_admin")).status_code == 422
    )


def test_concurrent_saves_over_real_http_make_one_row_and_a_version_each(app, lender, session):
    admin = _as(lender, "tenant_admin")
    with running(app) as base:
        read = httpx.get(base + lender["url"], headers=admin).json()
        results: list[int] = []
        barrier = threading.Barrier(8)

        def save(i: int) -> None:
            body = _policy(read) | {"window_end": f"18:{i:02d}"}
            barrier.wait()
            results.append(httpx.put(base + lender["url"], json=body, headers=admin, timeout=30).status_code)

        threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = httpx.get(base + lender["url"], headers=admin).json()
    assert sorted(results) == [200] * 8
    assert final["version"] == 8  # every save applied, one after the other
    set_tenant_scope(session, lender["tenant"].id)
    assert len(session.execute(select(ContactPolicyRecord)).all()) == 1
