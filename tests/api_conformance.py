"""The API against its own OpenAPI document: schemathesis on a live `creditdesk serve --demo`.

Run by `make test` after pytest (and alone by `make test-api`). Every default check; the examples,
fuzzing and stateful phases, bounded by examples per operation (``schemathesis.toml``) with
deterministic generation, so every machine runs the same cases (a CI run must not find what the run
before it missed). No schemathesis time budget: with one, schemathesis 4 repeats its phases until the
budget is spent; ``--max-time`` here only stops a run that hangs. The coverage phase generates tens of
thousands of boundary cases: add it with ``CONFORMANCE_PHASES=examples,coverage,fuzzing,stateful``
before a release. Tenant routes run on the demo tenant; the sign-in routes are excluded from fuzzing
(their own tests in tests/auth cover them, and fuzzing them would trip the login throttle). Exits
non-zero on any failure and prints schemathesis's summary (the full log stays in the run's data dir).

    .venv/bin/python tests/api_conformance.py [--max-time 300] [--keep-log]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = os.environ.get("CREDITDESK_DEMO_PASSWORD", "creditdesk-demo-2026")
EXCLUDED = r"^/api/v1/auth/(token|refresh|logout)$"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 480) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"creditdesk serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as r:  # noqa: S310 - our own server
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit("creditdesk serve did not become ready")


def token(base: str, email: str) -> str:
    body = json.dumps({"email": email, "password": PASSWORD}).encode()
    req = urllib.request.Request(f"{base}/api/v1/auth/token", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - our own server
        return json.load(r)["access_token"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=int, default=900, help="stop a run that hangs after this many seconds")
    parser.add_argument("--keep-log", action="store_true", help="print where the server log is kept")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="creditdesk-conformance-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_")}
    env.update(
        CREDITDESK_DATA_DIR=str(data),
        CREDITDESK_DEMO_PASSWORD=PASSWORD,
        CREDITDESK_LOG_LEVEL="WARNING",
        CREDITDESK_RATE_LIMIT_PER_TENANT="1000000/minute",
        CREDITDESK_RATE_LIMIT_PER_API_KEY="1000000/minute",
    )
    log = open(data / "server.log", "w")  # noqa: SIM115 - handed to the child process
    server = subprocess.Popen(
        [sys.executable, "-m", "creditdesk.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
        cwd=data,
    )
    try:
        wait_ready(base, server)
        bearer = token(base, "admin@creditdesk.demo")  # the platform admin reaches every operation
        schemathesis = Path(sys.executable).with_name("schemathesis")
        command = [
            str(schemathesis),
            "--no-color",
            "--config-file",
            str(ROOT / "schemathesis.toml"),
            "run",
            f"{base}/openapi.json",
            "--header",
            f"Authorization: Bearer {bearer}",
            "--exclude-path-regex",
            EXCLUDED,
            # reproducible and bounded: the same cases on every machine (see the module docstring)
            "--phases",
            os.environ.get("CONFORMANCE_PHASES", "examples,fuzzing,stateful"),
            "--workers",
            "2",
            "--generation-deterministic",
            "--seed",
            os.environ.get("CONFORMANCE_SEED", "20261129"),
        ]
        started = time.monotonic()
        # streamed to a file (`tail -f` it to watch progress), then summarised
        report = data / "schemathesis.log"
        with open(report, "w") as out:
            try:
                result = subprocess.run(
                    command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False, timeout=args.max_time
                )
            except subprocess.TimeoutExpired:
                print(report.read_text()[-30000:])
                print(f"API conformance: schemathesis did not finish within {args.max_time} s")
                return 1
        output = report.read_text()
        summary = output[output.find("SUMMARY") - 40 :] if "SUMMARY" in output else output[-6000:]
        if result.returncode != 0:
            print(output[-30000:])
        else:
            print(summary)
        print(f"API conformance: schemathesis exited {result.returncode} in {time.monotonic() - started:.0f} s")
        if args.keep_log or result.returncode != 0:
            print(f"server log: {data / 'server.log'}")
        return result.returncode
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    sys.exit(main())
