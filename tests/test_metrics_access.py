"""#12 item 7: /metrics names tenants — production serves it behind a token or on the health port; dev stays open."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from creditdesk.kit.health import HealthServer
from creditdesk.main import create_app, metrics_payload

TOKEN = "scrape-" + "x" * 32


def _production(settings, **changes):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"mode": "production", **changes})


def test_dev_mode_metrics_stay_open(client):
    r = client.get("/metrics")
    assert r.status_code == 200 and "creditdesk_http_requests_total" in r.text


def test_production_metrics_need_the_token(settings, db):
    app = create_app(_production(settings, metrics_token=SecretStr(TOKEN)))
    with TestClient(app, raise_server_exceptions=False) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            r = client.get("/metrics", headers=headers)
            assert r.status_code == 401, headers
            assert r.json()["error"] == "Unauthorized" and TOKEN not in r.text
        r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and "creditdesk_http_requests_total" in r.text


def test_production_without_a_token_serves_metrics_only_on_the_health_port(settings, db):
    app = create_app(_production(settings, metrics_token=None))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/metrics")
        assert r.status_code == 404 and "CREDITDESK_HEALTH_PORT" in r.json()["detail"]
    server = HealthServer("127.0.0.1", 0, lambda: (200, {"status": "ok"}), metrics_payload).start()
    try:
        r = httpx.get(f"http://127.0.0.1:{server.port}/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert "creditdesk_http_requests_total" in r.text
    finally:
        server.stop()


@pytest.mark.parametrize("mode", ["dev", "demo"])
def test_a_configured_token_does_not_close_dev_modes(settings, db, mode):
    app = create_app(settings.model_copy(update={"mode": mode, "metrics_token": SecretStr(TOKEN)}))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/metrics").status_code == 200
