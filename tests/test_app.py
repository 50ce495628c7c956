"""Service endpoints, error shape, limits and headers."""

from __future__ import annotations

from tests.factories import bearer, make_tenant, make_user

from creditdesk.main import readiness_checks


def test_health_ready_metrics_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    client.get("/healthz")
    metrics = client.get("/metrics").text
    assert 'creditdesk_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}' in metrics
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/auth/token" in spec["paths"]


def test_unknown_route_is_json_error_with_request_id(client):
    r = client.get("/api/v1/nope", headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "NotFound" and body["request_id"] == "abc-123"
    assert r.headers["x-request-id"] == "abc-123"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_malformed_json_is_400_and_changes_nothing(client, session):
    admin = make_user(session, None, "platform_admin")
    session.commit()
    r = client.post(
        "/api/v1/tenants", content=b'{"slug": "x",', headers={**bearer(admin), "content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "MalformedJSON"
    assert client.get("/api/v1/tenants", headers=bearer(admin)).json()["items"] == []


def test_validation_error_names_field_path(client, session):
    admin = make_user(session, None, "platform_admin")
    session.commit()
    r = client.post(
        "/api/v1/tenants",
        json={
            "slug": "ok-slug",
            "name": "X",
            "admin": {"email": "not-an-email", "name": "A", "password": "Sturdy-pass-2026"},
        },
        headers=bearer(admin),
    )
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "ValidationError"
    assert "body.admin.email" in body["detail"]
    assert body["fields"][0]["field"] == "body.admin.email"


def test_oversized_body_is_413(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    big = {"email": "x@lender.example", "name": "x" * 2_000_000, "role": "auditor", "password": "Sturdy-pass-2026"}
    r = client.post(f"/api/v1/tenants/{tenant.slug}/users", json=big, headers=bearer(admin))
    assert r.status_code == 413
    assert r.json()["error"] == "PayloadTooLarge"


def test_wrong_types_and_missing_fields_are_422(client, session):
    admin = make_user(session, None, "platform_admin")
    session.commit()
    r = client.post("/api/v1/tenants", json={"slug": 12, "name": ["x"]}, headers=bearer(admin))
    assert r.status_code == 422
    fields = {f["field"] for f in r.json()["fields"]}
    assert {"body.slug", "body.name", "body.admin"} <= fields


def test_metrics_use_route_templates(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    client.get(f"/api/v1/tenants/{tenant.slug}/users/{admin.id}", headers=bearer(admin))
    metrics = client.get("/metrics").text
    assert 'route="/api/v1/tenants/{tenant}/users/{user_id}"' in metrics
    assert admin.id not in metrics


def test_readyz_reports_unreachable_broker(client, settings, monkeypatch):
    monkeypatch.setattr(settings, "broker_url", "amqp://guest:guest@127.0.0.1:1/")
    checks = readiness_checks(settings)
    assert checks["database"] == "ok" and checks["broker"].startswith("error")
