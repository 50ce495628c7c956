"""Tenant webhooks: signed deliveries over real HTTP, retries, dead letters, SSRF guard."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.factories import bearer, make_tenant, make_user, wait_for_job

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "data" / "sample_application.json").read_text())
SAMPLE.pop("pull_bureaus")


class Receiver:
    """A real HTTP receiver on 127.0.0.1 that answers with a chosen status and records requests."""

    def __init__(self, status: int = 200):
        self.status = status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait(self, n: int, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while len(self.requests) < n and time.time() < deadline:
            time.sleep(0.05)


@pytest.fixture
def lender(session, champion):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    return tenant, admin, officer


def _hook(client, tenant, admin, url, events=("application.decided",)):
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/webhooks", json={"url": url, "events": list(events)}, headers=bearer(admin)
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_decision_is_delivered_signed(client, lender):
    tenant, admin, officer = lender
    receiver = Receiver(200)
    hook = _hook(client, tenant, admin, receiver.url)
    secret = hook["signing_secret"]
    listed = client.get(f"/api/v1/tenants/{tenant.slug}/webhooks", headers=bearer(admin)).json()["items"]
    assert secret not in json.dumps(listed) and listed[0]["secret"].endswith(secret[-4:])
    d = client.post(f"/api/v1/tenants/{tenant.slug}/applications", json=SAMPLE, headers=bearer(officer)).json()
    receiver.wait(1)
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    t, v1 = (part.split("=", 1)[1] for part in headers["x-creditdesk-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)
    event = json.loads(body)
    assert event["type"] == "application.decided" and event["data"]["application_id"] == d["application_id"]
    assert headers["x-creditdesk-event-id"] == event["id"]
    time.sleep(0.5)  # the relay keeps running: the event is still delivered exactly once
    assert len(receiver.requests) == 1
    deliveries = client.get(
        f"/api/v1/tenants/{tenant.slug}/webhooks/{hook['id']}/deliveries", headers=bearer(admin)
    ).json()["items"]
    assert deliveries[0]["status"] == "delivered" and deliveries[0]["response_status"] == 200


def test_failing_receiver_is_retried_then_dead_lettered(client, session, lender):
    tenant, admin, officer = lender
    root = make_user(session, None, "platform_admin")
    session.commit()
    receiver = Receiver(503)
    hook = _hook(client, tenant, admin, receiver.url)
    client.post(f"/api/v1/tenants/{tenant.slug}/applications", json=SAMPLE, headers=bearer(officer))
    receiver.wait(5)
    deadline = time.time() + 30
    while time.time() < deadline:
        items = client.get(
            f"/api/v1/tenants/{tenant.slug}/webhooks/{hook['id']}/deliveries", headers=bearer(admin)
        ).json()["items"]
        if items and items[0]["job_id"]:
            job = wait_for_job(client, tenant.slug, items[0]["job_id"], bearer(admin))
            break
        time.sleep(0.1)
    assert job["status"] == "dead" and job["attempts"] == 5 and "503" in job["error"]
    assert len(receiver.requests) == 5
    kept = client.get(f"/api/v1/tenants/{tenant.slug}/webhooks/{hook['id']}/deliveries", headers=bearer(admin))
    assert kept.json()["items"][0]["response_status"] == 503  # each failed attempt keeps what the receiver said
    dead = client.get("/api/v1/ops/dead-letters", headers=bearer(root)).json()["items"]
    assert any(d["kind"] == "webhook.deliver" for d in dead)


def test_rejected_event_fails_at_once(client, lender):
    tenant, admin, officer = lender
    receiver = Receiver(400)
    hook = _hook(client, tenant, admin, receiver.url)
    client.post(f"/api/v1/tenants/{tenant.slug}/applications", json=SAMPLE, headers=bearer(officer))
    receiver.wait(1)
    time.sleep(0.5)
    items = client.get(f"/api/v1/tenants/{tenant.slug}/webhooks/{hook['id']}/deliveries", headers=bearer(admin)).json()
    job = wait_for_job(client, tenant.slug, items["items"][0]["job_id"], bearer(admin))
    assert job["status"] == "failed" and job["attempts"] == 1 and len(receiver.requests) == 1
    kept = client.get(f"/api/v1/tenants/{tenant.slug}/webhooks/{hook['id']}/deliveries", headers=bearer(admin))
    assert [(d["status"], d["response_status"]) for d in kept.json()["items"]] == [("failed", 400)]


def test_ssrf_guard_and_permissions(client, settings, monkeypatch, lender):
    tenant, admin, officer = lender
    monkeypatch.setattr(settings, "mode", "production")
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/webhooks",
        json={"url": "http://169.254.169.254/latest", "events": ["application.decided"]},
        headers=bearer(admin),
    )
    assert r.status_code == 422 and "private" in r.json()["detail"]
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/webhooks",
        json={"url": "ftp://example.com/x", "events": ["application.decided"]},
        headers=bearer(admin),
    )
    assert r.status_code == 422
    assert client.get(f"/api/v1/tenants/{tenant.slug}/webhooks", headers=bearer(officer)).status_code == 403


def test_key_rotation_covers_webhook_secrets(client, db, settings, monkeypatch, lender):
    from typer.testing import CliRunner

    from creditdesk.cli import app as cli
    from creditdesk.config import generate_encryption_key, get_settings
    from creditdesk.kit.crypto import SecretBox
    from creditdesk.webhooks.models import WebhookEndpoint

    tenant, admin, _ = lender
    hook = _hook(client, tenant, admin, "http://127.0.0.1:9/hooks")
    old = settings.encryption_keys.get_secret_value()
    new = generate_encryption_key("k7")
    monkeypatch.setenv("CREDITDESK_ENCRYPTION_KEYS", f"{new},{old}")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0 and "re-encrypted 1 secret(s) under key k7" in result.output, result.output
    with db.session() as s:
        token = s.get(WebhookEndpoint, hook["id"]).secret_ciphertext
    only_new = SecretBox([(kid, key) for kid, key in get_settings().encryption_keyring() if kid == "k7"])
    assert only_new.decrypt(token, f"{tenant.id}/webhook/{hook['id']}") == hook["signing_secret"]
    get_settings.cache_clear()
