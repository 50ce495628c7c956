"""The simulators: mounted by the main app in dev/demo mode only, and standalone from the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
from fastapi.testclient import TestClient
from tests.bureaus.helpers import free_port

from creditdesk.bureaus.simulators import SANDBOX_DEFAULTS


def test_dev_mode_serves_the_simulators_and_their_controls(client):
    r = client.get("/simulators/cibil/sandbox-credentials")
    assert r.status_code == 200
    kit = r.json()
    assert kit["member_id"] == SANDBOX_DEFAULTS["cibil"]["member_id"]
    assert set(kit["credentials"]) == {"password", "api_key"}
    assert kit["endpoint_url"].endswith("/simulators/cibil")
    faults = {"latency_ms": 0, "error_rate": 0.0, "outage": True}
    assert client.put("/simulators/experian/faults", json=faults).json() == faults
    assert client.get("/simulators/experian/faults").json()["outage"] is True
    assert client.put("/simulators/crif/faults", json={"outage": "sometimes"}).status_code == 422
    assert "/simulators/cibil/v1/credit-report" not in client.get("/openapi.json").json()["paths"]


def test_production_mode_has_no_simulators(settings, db):
    from creditdesk.main import create_app

    settings.mode = "production"
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as prod:
            for method, path in (
                ("GET", "/simulators/cibil/sandbox-credentials"),
                ("PUT", "/simulators/cibil/faults"),
                ("POST", "/simulators/experian/oauth2/v1/token"),
            ):
                r = prod.request(method, path, json={"outage": True})
                assert r.status_code == 404 and r.json()["error"] == "NotFound", (method, path, r.text)
    finally:
        settings.mode = "dev"


def test_cli_serves_the_simulators_standalone(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_")}
    proc = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "creditdesk.cli", "simulators", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/simulators/crif/sandbox-credentials", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the simulators did not start"
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["member_id"] == SANDBOX_DEFAULTS["crif"]["member_id"]
        assert r.json()["endpoint_url"] == f"http://127.0.0.1:{port}/simulators/crif"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
