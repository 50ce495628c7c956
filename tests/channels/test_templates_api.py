"""Message templates over the API: checked before they are stored, maker–checker approval (the author gets
403), an approved text never edited (a change makes the next version), one approval of two at once,
permissions and tenant isolation."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.factories import bearer, make_tenant, make_user
from tests.payments.conftest import running

from creditdesk.audit.models import AuditEvent
from creditdesk.channels.starter import load_starter
from creditdesk.db import set_tenant_scope


@pytest.fixture
def lender(session) -> dict[str, Any]:
    tenant, other = make_tenant(session), make_tenant(session)
    users = {
        "writer": make_user(session, tenant, "risk_analyst"),
        "admin": make_user(session, tenant, "tenant_admin"),
        "admin2": make_user(session, tenant, "tenant_admin"),
        "auditor": make_user(session, tenant, "auditor"),
        "officer": make_user(session, tenant, "field_officer"),
    }
    other_admin = make_user(session, other, "tenant_admin")
    session.commit()
    return {"tenant": tenant, "url": f"/api/v1/tenants/{tenant.slug}/templates", "users": users, "other": other_admin}


def _as(lender: dict[str, Any], who: str) -> dict[str, str]:
    return bearer(lender["users"][who])


def _starter(channel: str, purpose: str, language: str) -> dict[str, Any]:
    t = next(s for s in load_starter() if (s.channel, s.purpose, s.language) == (channel, purpose, language))
    body = {
        "name": t.name,
        "channel": t.channel,
        "purpose": t.purpose,
        "language": t.language,
        "tone": t.tone,
        "body": t.body,
        "subject": t.subject,
        "variables": t.variables_json(),
        "dlt_template_id": t.dlt_template_id,
        "whatsapp_category": t.whatsapp_category,
    }
    return body


def test_a_template_is_approved_by_someone_else_and_an_approved_text_is_never_edited(client, lender, session):
    url = lender["url"]
    r = client.post(url, json=_starter("sms", "reminder", "hi"), headers=_as(lender, "writer"))
    assert r.status_code == 201, r.text
    draft = r.json()
    assert (draft["status"], draft["version"], draft["collections_content"]) == ("draft", 1, False)

    edited = client.put(
        f"{url}/{draft['id']}", json={**_content(draft), "tone": "empathetic"}, headers=_as(lender, "admin")
    )
    assert edited.status_code == 200 and edited.json()["id"] == draft["id"] and edited.json()["tone"] == "empathetic"
    # the admin is now the draft's author: approving their own text is refused
    own = client.post(f"{url}/{draft['id']}/approve", headers=_as(lender, "admin"))
    assert own.status_code == 403 and "someone other" in own.json()["detail"]
    assert client.post(f"{url}/{draft['id']}/approve", headers=_as(lender, "writer")).status_code == 403  # no right
    approved = client.post(f"{url}/{draft['id']}/approve", headers=_as(lender, "admin2"))
    assert approved.status_code == 200 and approved.json()["status"] == "approved" and approved.json()["approved_by"]
    again = client.post(f"{url}/{draft['id']}/approve", headers=_as(lender, "admin"))
    assert again.status_code == 409

    v2 = client.put(f"{url}/{draft['id']}", json={**_content(draft), "tone": "formal"}, headers=_as(lender, "writer"))
    assert v2.status_code == 200 and v2.json()["version"] == 2 and v2.json()["status"] == "draft"
    assert v2.json()["id"] != draft["id"]
    assert client.get(f"{url}/{draft['id']}", headers=_as(lender, "auditor")).json()["tone"] == "empathetic"  # kept
    stale = client.put(f"{url}/{draft['id']}", json=_content(draft), headers=_as(lender, "writer"))
    assert stale.status_code == 409  # change the newer draft instead
    assert client.post(f"{url}/{v2.json()['id']}/approve", headers=_as(lender, "admin")).status_code == 200
    statuses = {
        i["version"]: i["status"]
        for i in client.get(url, params={"channel": "sms"}, headers=_as(lender, "auditor")).json()["items"]
    }
    assert statuses == {1: "retired", 2: "approved"}

    set_tenant_scope(session, lender["tenant"].id)
    actions = session.execute(
        select(AuditEvent.action).where(AuditEvent.action.like("channels.template_%")).order_by(AuditEvent.created_at)
    ).scalars()
    assert list(actions) == [
        "channels.template_created",
        "channels.template_updated",
        "channels.template_approved",
        "channels.template_versioned",
        "channels.template_approved",
    ]


def _content(read: dict[str, Any]) -> dict[str, Any]:
    keep = ("tone", "body", "subject", "variables", "dlt_template_id", "whatsapp_category")
    return {k: read[k] for k in keep}


def test_the_channels_rules_are_checked_before_anything_is_stored(client, lender):
    url, writer = lender["url"], _as(lender, "writer")
    sms = _starter("sms", "reminder", "en")
    missing_dlt = client.post(url, json={**sms, "dlt_template_id": None}, headers=writer)
    assert missing_dlt.status_code == 422 and missing_dlt.json()["fields"][0]["field"] == "body.dlt_template_id"
    undeclared = client.post(url, json={**sms, "body": sms["body"] + " {{surprise}}"}, headers=writer)
    assert undeclared.status_code == 422 and "surprise" in undeclared.json()["detail"]
    collections = _starter("whatsapp", "collections", "ta")
    wrong = client.post(url, json={**collections, "whatsapp_category": "marketing"}, headers=writer)
    assert wrong.status_code == 422 and wrong.json()["fields"][0]["field"] == "body.whatsapp_category"
    made = client.post(url, json=collections, headers=writer)
    assert made.status_code == 201 and made.json()["collections_content"] is True
    assert client.post(url, json=collections, headers=writer).status_code == 409  # the name is taken
    bad_language = client.post(url, json={**sms, "language": "fr"}, headers=writer)
    assert bad_language.status_code == 422
    assert client.get(url, headers=_as(lender, "auditor")).json()["total"] == 1
    # a part of the name, any case; a wildcard character is a character
    named = client.get(url, params={"name": made.json()["name"][:8].upper()}, headers=_as(lender, "auditor"))
    assert [t["id"] for t in named.json()["items"]] == [made.json()["id"]]
    assert client.get(url, params={"name": "%"}, headers=_as(lender, "auditor")).json()["total"] == 0


def test_permissions_and_isolation(client, lender):
    url = lender["url"]
    made = client.post(url, json=_starter("email", "alert", "bn"), headers=_as(lender, "writer")).json()
    assert client.post(url, json=_starter("voice", "reminder", "kn"), headers=_as(lender, "officer")).status_code == 403
    assert client.post(url, json=_starter("voice", "reminder", "kn"), headers=_as(lender, "auditor")).status_code == 403
    assert client.get(url, headers=_as(lender, "officer")).status_code == 403
    other = bearer(lender["other"])
    assert client.get(f"{url}/{made['id']}", headers=other).status_code == 404
    assert client.post(f"{url}/{made['id']}/approve", headers=other).status_code == 404
    other_url = url.replace(lender["tenant"].slug, "no-such-lender")
    assert client.get(other_url, headers=_as(lender, "admin")).status_code == 404


def test_two_approvals_at_once_over_real_http_approve_once(app, lender, session):
    with running(app) as base:
        url = base + lender["url"]
        made = httpx.post(url, json=_starter("whatsapp", "reminder", "mr"), headers=_as(lender, "writer")).json()
        codes: list[int] = []
        barrier = threading.Barrier(6)

        def approve(who: str) -> None:
            barrier.wait()
            codes.append(httpx.post(f"{url}/{made['id']}/approve", headers=_as(lender, who), timeout=30).status_code)

        threads = [threading.Thread(target=approve, args=(who,)) for who in ("admin", "admin2") * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(codes) == [200] + [409] * 5
    set_tenant_scope(session, lender["tenant"].id)
    approvals = session.execute(
        select(func.count()).where(
            AuditEvent.action == "channels.template_approved", AuditEvent.resource_id == made["id"]
        )
    ).scalar_one()
    assert approvals == 1
