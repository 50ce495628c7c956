"""The credential store over the API: configure, redact, never leak, keep omitted secrets, refuse bad bodies."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.bureaus.helpers import FAST_BUREAU_SETTINGS, clear_faults, put_body, serve, unique_credentials
from tests.factories import bearer, make_tenant, make_user

from creditdesk.audit.models import AuditEvent
from creditdesk.bureaus.config import find_config, runtime_config
from creditdesk.bureaus.models import BureauConfigRecord
from creditdesk.bureaus.pull import report_cache_key
from creditdesk.bureaus.runtime import get_runtime
from creditdesk.bureaus.schemas import BUREAUS
from creditdesk.bureaus.simulators import build_simulator_app, pan_for_persona
from creditdesk.kit.crypto import redact, secret_box
from creditdesk.kit.resilience import UpstreamServerError


@pytest.fixture(scope="module")
def kits() -> dict[str, dict[str, Any]]:
    return unique_credentials()


@pytest.fixture(scope="module")
def sims_live(kits) -> Iterator[tuple[str, Any]]:
    """Simulators accepting only ``kits``' credentials, on a real socket; yields (…/simulators URL, state)."""
    app = build_simulator_app(credentials=kits)
    with serve(app) as base:
        yield f"{base}/simulators", app.state.simulators


@pytest.fixture(autouse=True)
def _fast(settings, sims_live) -> Iterator[None]:
    for name, value in FAST_BUREAU_SETTINGS.items():
        setattr(settings, name, value)
    yield
    clear_faults(sims_live[1])


@pytest.fixture
def lender(session):
    tenant = make_tenant(session, "ganga-finance")
    analyst = make_user(session, None, "risk_analyst")  # platform-scoped: configures every tenant
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    return tenant, bearer(analyst), bearer(officer), analyst


def all_secrets(kits: dict[str, dict[str, Any]]) -> list[str]:
    return [value for kit in kits.values() for value in kit["credentials"].values()]


def test_analyst_configures_all_three_bureaus_and_no_secret_leaks(
    client, session, settings, db, lender, kits, sims_live
):
    tenant, analyst, _, analyst_user = lender
    base, _ = sims_live
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)  # the app's JSON formatter
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)  # the strictest view: even debug lines of httpx/httpcore must not leak
    try:
        for bureau in BUREAUS:
            r = client.put(
                f"/api/v1/tenants/{tenant.slug}/bureaus/{bureau}",
                json=put_body(bureau, base, kits[bureau]),
                headers=analyst,
            )
            assert r.status_code == 200, r.text
            shown = r.json()["credentials"]
            for name, secret in kits[bureau]["credentials"].items():
                assert shown[name] == redact(secret) and shown[name].endswith(secret[-4:])
        listing = client.get(f"/api/v1/tenants/{tenant.slug}/bureaus", headers=analyst)
        tests = {b: client.post(f"/api/v1/tenants/{tenant.slug}/bureaus/{b}/test", headers=analyst) for b in BUREAUS}
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)

    assert listing.status_code == 200
    items = listing.json()["items"]
    assert [i["bureau"] for i in items] == list(BUREAUS)
    for item in items:
        assert item["enabled"] and item["configured"]
        assert item["endpoint_url"] == f"{base}/{item['bureau']}"
        assert item["updated_by"] == analyst_user.email and item["updated_at"]
        assert all(len(v.removeprefix("••••••")) <= 4 for v in item["credentials"].values())
    for bureau, r in tests.items():
        assert r.status_code == 200 and r.json()["ok"] is True, (bureau, r.text)
        assert r.json()["error"] is None and r.json()["latency_ms"] >= 0

    responses = [listing.text, *(r.text for r in tests.values())]
    logs = stream.getvalue()
    assert "bureau" in logs  # sanity: the requests were logged
    audit_rows = json.dumps(
        [e.details for e in session.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)).scalars()]
    )
    assert "bureau.configured" in {
        e.action for e in session.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)).scalars()
    }
    assert "secrets_changed" in audit_rows
    stored = json.dumps([row[0] for row in session.execute(text("SELECT secrets FROM bureau_config"))])
    assert stored.count("v1:") == 6  # six ciphertexts, one per secret
    for secret in all_secrets(kits):
        assert all(secret not in body for body in responses)
        assert secret not in logs
        assert secret not in audit_rows and secret not in stored
    if not db.is_postgres:
        session.close()
        db.dispose()  # checkpoint the WAL into the main file
        path = settings.sqlalchemy_url.removeprefix("sqlite:///")
        blob = b"".join(Path(path + s).read_bytes() for s in ("", "-wal") if Path(path + s).exists())
        assert kits["cibil"]["member_id"].encode() in blob  # sanity: we are reading the right file
        for secret in all_secrets(kits):
            assert secret.encode() not in blob


def test_field_officer_gets_403_and_another_tenant_404(client, session, lender, sims_live):
    tenant, analyst, officer, _ = lender
    other = make_tenant(session, "other-lender")
    other_admin = make_user(session, other, "tenant_admin")
    session.commit()
    url = f"/api/v1/tenants/{tenant.slug}/bureaus"
    body = put_body("cibil", sims_live[0])
    assert client.get(url, headers=officer).status_code == 403
    assert client.put(f"{url}/cibil", json=body, headers=officer).status_code == 403
    assert client.post(f"{url}/cibil/test", headers=officer).status_code == 403
    for method, path in (("GET", url), ("PUT", f"{url}/cibil"), ("POST", f"{url}/cibil/test")):
        r = client.request(method, path, json=body, headers=bearer(other_admin))
        assert r.status_code == 404 and r.json()["error"] == "NotFound"
    assert find_config(session, tenant_id=tenant.id, bureau="cibil") is None  # nothing was written
    session.rollback()


def test_unconfigured_bureaus_are_listed_disabled(client, lender):
    tenant, analyst, _, _ = lender
    items = client.get(f"/api/v1/tenants/{tenant.slug}/bureaus", headers=analyst).json()["items"]
    assert [(i["bureau"], i["enabled"], i["configured"]) for i in items] == [(b, False, False) for b in BUREAUS]
    assert items[1]["credentials"] == {"client_id": None, "client_secret": None}
    r = client.post(f"/api/v1/tenants/{tenant.slug}/bureaus/crif/test", headers=analyst)
    assert r.status_code == 404 and "not configured" in r.json()["detail"]


def test_omitting_a_secret_keeps_the_stored_one(client, session, lender, kits, sims_live):
    tenant, analyst, _, _ = lender
    url = f"/api/v1/tenants/{tenant.slug}/bureaus/cibil"
    assert client.put(url, json=put_body("cibil", sims_live[0], kits["cibil"]), headers=analyst).status_code == 200
    # change only the timeout, then only the member id with a null password: both secrets stay
    assert client.put(url, json={"timeout_ms": 3000}, headers=analyst).status_code == 200
    r = client.put(url, json={"member_id": "CIBILSIM0001", "credentials": {"password": None}}, headers=analyst)
    assert r.status_code == 200 and r.json()["timeout_ms"] == 3000
    session.expire_all()
    record = find_config(session, tenant_id=tenant.id, bureau="cibil")
    config = runtime_config(record, settings=get_runtime().settings)
    assert config.secret("password") == kits["cibil"]["credentials"]["password"]
    assert config.secret("api_key") == kits["cibil"]["credentials"]["api_key"]
    session.rollback()  # end the read transaction (SQLite has one writer at a time)
    assert client.post(f"{url}/test", headers=analyst).json()["ok"] is True
    # a new api key replaces only the api key
    r = client.put(url, json={"credentials": {"api_key": "replaced-api-key-7781"}}, headers=analyst)
    assert r.json()["credentials"]["api_key"] == redact("replaced-api-key-7781")
    assert r.json()["credentials"]["password"] == redact(kits["cibil"]["credentials"]["password"])
    events = session.execute(
        select(AuditEvent).where(AuditEvent.resource_id == record.id).order_by(AuditEvent.seq)
    ).scalars()
    changes = [
        (e.action, e.details["changed"], e.details["secrets_changed"]) for e in events if e.action != "bureau.tested"
    ]
    assert changes == [
        ("bureau.configured", ["enabled", "endpoint_url", "member_id", "timeout_ms"], ["password", "api_key"]),
        ("bureau.updated", ["timeout_ms"], []),
        ("bureau.updated", [], ["api_key"]),
    ]
    session.rollback()
    # the replaced key is wrong for the simulator: the test says so, readably
    check = client.post(f"{url}/test", headers=analyst).json()
    assert check["ok"] is False and "CIBIL rejected the credentials (HTTP 403" in check["error"]


@pytest.mark.parametrize("bureau", BUREAUS)
def test_wrong_secret_fails_the_test_with_a_clear_error(client, lender, kits, sims_live, bureau):
    tenant, analyst, _, _ = lender
    kit = {**kits[bureau], "credentials": {**kits[bureau]["credentials"]}}
    last = list(kit["credentials"])[-1]
    kit["credentials"][last] = "not-the-right-secret-0000"
    url = f"/api/v1/tenants/{tenant.slug}/bureaus/{bureau}"
    assert client.put(url, json=put_body(bureau, sims_live[0], kit), headers=analyst).status_code == 200
    r = client.post(f"{url}/test", headers=analyst)
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is False and "rejected the credentials" in body["error"]
    assert "not-the-right-secret-0000" not in r.text


MALFORMED = [
    ({"credentials": {"token": "abc"}}, "body.credentials.token"),
    ({"timeout_ms": "soon"}, "body.timeout_ms"),
    ({"timeout_ms": 5}, "body.timeout_ms"),
    ({"endpoint_url": "ftp://bureau.example/x"}, "body.endpoint_url"),
    ({"endpoint_url": "https://user:pw@bureau.example/x"}, "body.endpoint_url"),
    ({"colour": "red"}, "body.colour"),
    ({"enabled": "maybe"}, "body.enabled"),
    ({"member_id": " "}, "body.member_id"),
    ({"credentials": {"password": ""}}, "body.credentials.password"),
    ({"credentials": "hunter2-plain"}, "body.credentials"),
]


def test_malformed_put_bodies_are_422_naming_the_field(client, session, lender, sims_live):
    tenant, analyst, _, _ = lender
    url = f"/api/v1/tenants/{tenant.slug}/bureaus"
    assert client.put(f"{url}/cibil", json=put_body("cibil", sims_live[0]), headers=analyst).status_code == 200
    for body, field in MALFORMED:
        r = client.put(f"{url}/cibil", json=body, headers=analyst)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] == "ValidationError" and field in r.json()["detail"], (body, r.json())
        assert r.json()["fields"][0]["field"] == field
        assert "hunter2-plain" not in r.text
    # creating without the required parts names them too
    r = client.put(f"{url}/crif", json={"endpoint_url": f"{sims_live[0]}/crif"}, headers=analyst)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "body.member_id"
    r = client.put(
        f"{url}/crif",
        json={"endpoint_url": f"{sims_live[0]}/crif", "member_id": "M1", "credentials": {"user_id": "only-the-user"}},
        headers=analyst,
    )
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "body.credentials.password"
    assert "required to enable CRIF High Mark" in r.json()["detail"]
    r = client.put(f"{url}/equifax", json={}, headers=analyst)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "path.bureau"
    assert find_config(session, tenant_id=tenant.id, bureau="crif") is None  # refused bodies wrote nothing
    session.rollback()
    assert client.get(url, headers=analyst).json()["items"][0]["timeout_ms"] == 2000  # cibil untouched


def test_a_change_drops_cached_reports_and_closes_the_breaker(client, session, lender, sims_live):
    tenant, analyst, _, _ = lender
    url = f"/api/v1/tenants/{tenant.slug}/bureaus"
    for bureau in ("cibil", "crif"):
        assert client.put(f"{url}/{bureau}", json=put_body(bureau, sims_live[0]), headers=analyst).status_code == 200
    runtime = get_runtime()
    pan = pan_for_persona("prime")
    for bureau in ("cibil", "crif"):
        runtime.cache.set(report_cache_key(tenant.id, bureau, pan), {"stale": True}, 60)
    breaker = runtime.breakers.get(tenant.id, "cibil")
    for _ in range(runtime.breakers.fail_max):
        with pytest.raises(UpstreamServerError), breaker.calling():
            raise UpstreamServerError(503)
    assert runtime.breakers.is_open(tenant.id, "cibil")

    assert client.put(f"{url}/cibil", json={"timeout_ms": 2500}, headers=analyst).status_code == 200
    assert runtime.cache.get(report_cache_key(tenant.id, "cibil", pan)) is None
    assert not runtime.breakers.is_open(tenant.id, "cibil")
    assert runtime.cache.get(report_cache_key(tenant.id, "crif", pan)) == {"stale": True}  # other bureaus keep theirs


def test_merge_rule_defaults_to_conservative_and_is_configurable(client, lender):
    tenant, analyst, officer, _ = lender
    url = f"/api/v1/tenants/{tenant.slug}/bureau-merge-rule"
    assert client.get(url, headers=analyst).json()["strategy"] == "conservative"
    r = client.put(url, json={"strategy": "primary", "priority": ["experian"]}, headers=analyst)
    assert r.status_code == 200 and r.json()["priority"] == ["experian", "cibil", "crif"]
    assert client.get(url, headers=analyst).json()["strategy"] == "primary"
    assert client.put(url, json={"strategy": "median"}, headers=analyst).status_code == 422
    assert client.put(url, json={"strategy": "primary"}, headers=officer).status_code == 403


def test_records_never_hold_a_plain_secret(session, client, lender, kits, sims_live):
    tenant, analyst, _, _ = lender
    url = f"/api/v1/tenants/{tenant.slug}/bureaus/experian"
    client.put(url, json=put_body("experian", sims_live[0], kits["experian"]), headers=analyst)
    record = session.execute(select(BureauConfigRecord)).scalar_one()
    box = secret_box()
    for name, token in record.secrets.items():
        assert token.startswith(f"v1:{box.active_kid}:")
        assert kits["experian"]["credentials"][name] not in token
    # a ciphertext moved to another field (or tenant) does not decrypt: it is bound to its place
    swapped = dict(record.secrets)
    swapped["client_id"], swapped["client_secret"] = swapped["client_secret"], swapped["client_id"]
    record.secrets = swapped
    session.commit()
    check = client.post(f"{url}/test", headers=analyst).json()
    assert check["ok"] is False and "cannot be decrypted" in check["error"]
