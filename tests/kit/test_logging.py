"""The server log: one JSON object per line, and a tenant route's lines name the tenant it addresses."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from tests.bureaus.helpers import put_body, serve
from tests.factories import bearer, make_tenant, make_user

from creditdesk.bureaus.simulators import build_simulator_app
from creditdesk.kit.logging import configure_logging


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line parsed as JSON (a plain line fails the test)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]


class ServerLog:
    """What the app's own logging set-up writes, from ``start()`` on."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def start(self) -> None:
        configure_logging("INFO", stream=self.stream)

    def lines(self) -> list[dict[str, Any]]:
        return json_lines(self.stream.getvalue())


@pytest.fixture
def server_log():
    yield ServerLog()
    configure_logging("INFO")


@pytest.fixture
def simulators():
    with serve(build_simulator_app()) as base:
        yield f"{base}/simulators"


def test_a_platform_analysts_call_to_a_tenant_route_is_logged_under_that_tenant(
    client, session, server_log, simulators
):
    tenant = make_tenant(session, "kaveri-credit")
    analyst = make_user(session, None, "risk_analyst")  # platform-scoped: no tenant of its own
    session.commit()
    url = "/api/v1/tenants/kaveri-credit/bureaus/cibil"
    assert client.put(url, json=put_body("cibil", simulators), headers=bearer(analyst)).status_code == 200
    server_log.start()

    assert client.post(f"{url}/test", headers=bearer(analyst)).json()["ok"] is True

    lines = server_log.lines()
    (request,) = [line for line in lines if line["event"] == "request"]
    assert request["route"] == "/api/v1/tenants/{tenant}/bureaus/{bureau}/test"
    assert request["tenant"] == tenant.slug and request["user"] == analyst.id
    # lines logged inside the request by other libraries (httpx calling the bureau) carry it too
    calls = [line for line in lines if line["logger"] == "httpx" and "/simulators/cibil/" in line["event"]]
    assert calls and all(line["tenant"] == tenant.slug for line in calls)
    assert all(line["request_id"] == request["request_id"] for line in calls)


def test_a_tenant_users_lines_name_their_tenant_and_platform_routes_name_none(client, session, server_log):
    tenant = make_tenant(session, "godavari-finance")
    officer = make_user(session, tenant, "field_officer")
    admin = make_user(session, None, "platform_admin")
    session.commit()
    server_log.start()

    client.get("/api/v1/tenants/godavari-finance/applications", headers=bearer(officer))
    client.get("/api/v1/auth/me", headers=bearer(admin))
    client.get("/api/v1/tenants/godavari-finance/applications", headers=bearer(admin))

    lines = server_log.lines()
    requests = [(line["route"], line["user"], line["tenant"]) for line in lines if line["event"] == "request"]
    assert requests == [
        ("/api/v1/tenants/{tenant}/applications", officer.id, "godavari-finance"),
        ("/api/v1/auth/me", admin.id, None),
        ("/api/v1/tenants/{tenant}/applications", admin.id, "godavari-finance"),
    ]


def test_uvicorn_and_other_stdlib_lines_are_json_too(server_log):
    server_log.start()
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 4242)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("dramatiq.worker").exception("worker failed")

    started, failed = server_log.lines()
    assert started == started | {"event": "Started server process [4242]", "logger": "uvicorn.error", "level": "info"}
    assert failed["level"] == "error" and "RuntimeError: boom" in failed["exception"]
