"""The command line, over real processes and real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-m", "creditdesk.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_")}
    env.update(
        {
            "CREDITDESK_DATA_DIR": str(tmp_path / "data"),
            "CREDITDESK_ARGON2_MEMORY_KIB": "8192",
            "CREDITDESK_ARGON2_TIME_COST": "1",
            **extra,
        }
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_refuses_production_without_secrets(tmp_path):
    r = subprocess.run(
        [*CLI, "serve"], env=_env(tmp_path, CREDITDESK_MODE="production"), capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2
    assert "Refusing to start in production mode" in r.stderr


def test_db_upgrade_and_admin_create(tmp_path):
    env = _env(tmp_path, CREDITDESK_MODE="dev")
    assert subprocess.run([*CLI, "db", "upgrade"], env=env, capture_output=True, timeout=60).returncode == 0
    r = subprocess.run(
        [*CLI, "admin", "create", "--email", "ops@lender.example", "--password", "Sturdy-pass-2026"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["role"] == "platform_admin"
    weak = subprocess.run(
        [*CLI, "admin", "create", "--email", "x@lender.example", "--password", "weak"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert weak.returncode == 2 and "12–128 characters" in weak.stderr
    dup = subprocess.run(
        [*CLI, "admin", "create", "--email", "ops@lender.example", "--password", "Sturdy-pass-2026"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dup.returncode == 1 and "already exists" in dup.stderr


@pytest.mark.slow
def test_serve_demo_over_real_http(tmp_path):
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 - handed to the child process
    terminal = open(tmp_path / "terminal.txt", "w+")  # noqa: SIM115 - stdout: what the person at the terminal reads
    proc = subprocess.Popen(
        [*CLI, "serve", "--demo", "--port", str(port)], env=_env(tmp_path), stdout=terminal, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 480
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            log.seek(0)
            pytest.fail("server did not start:\n" + log.read()[-3000:])
        assert httpx.get(f"{base}/readyz").status_code == 200
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"email": "admin@demo-nbfc.example", "password": "creditdesk-demo-2026"}
        ).json()["access_token"]
        me = httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["tenant"] == "demo-nbfc" and me["role"] == "tenant_admin"
        assert (tmp_path / "data" / "secrets.json").stat().st_mode & 0o777 == 0o600
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    log.seek(0)
    output = log.read()
    terminal.seek(0)
    shown = terminal.read()
    assert "admin@creditdesk.demo" in shown and "password: creditdesk-demo-2026" in shown
    assert proc.returncode == 0
    lines = [json.loads(line) for line in output.splitlines()]  # the log: JSON lines only
    assert any("demo is ready" in line["event"] and "admin@creditdesk.demo" in line["users"] for line in lines)
    assert "creditdesk-demo-2026" not in output  # the password is never logged (#12 item 7)


def _serve_until_healthy(tmp_path: Path, port: int) -> tuple[subprocess.Popen[str], Path]:
    out = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=_env(tmp_path, CREDITDESK_MODE="dev"),
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, out
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("server did not start:\n" + out.read_text()[-3000:])


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_serve_writes_only_json_lines_and_a_stop_signal_exits_0(tmp_path, stop):
    port = _free_port()
    proc, out = _serve_until_healthy(tmp_path, port)
    try:
        httpx.get(f"http://127.0.0.1:{port}/api/v1/tenants/nobody/bureaus")  # 401: still one request line
    finally:
        proc.send_signal(stop)
        returncode = proc.wait(timeout=60)

    assert returncode == 0  # `make demo` reports no "Error 143"
    lines = [json.loads(line) for line in out.read_text().splitlines()]  # uvicorn's and the CLI's lines too
    events = [line["event"] for line in lines]
    assert f"Serving on http://127.0.0.1:{port}  (API docs at /docs)" in events
    assert f"Uvicorn running on http://127.0.0.1:{port} (Press CTRL+C to quit)" in events
    assert events[-1].startswith("Finished server process")
    (request,) = [line for line in lines if line.get("route") == "/api/v1/tenants/{tenant}/bureaus"]
    assert request["status"] == 401 and request["tenant"] == "nobody"
