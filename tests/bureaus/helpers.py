"""Helpers for the bureau API tests: a real-socket server, sandbox bodies, unique credentials."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from creditdesk.bureaus.schemas import BUREAU_SECRET_FIELDS, BUREAUS
from creditdesk.bureaus.simulators import SANDBOX_DEFAULTS, SimulatorFaults

FAST_BUREAU_SETTINGS = {
    "bureau_retry_attempts": 2,
    "bureau_retry_wait_ms": 1,
    "bureau_breaker_fail_max": 2,
    "bureau_breaker_reset_seconds": 0.6,
    "bureau_timeout_ms": 2000,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app: Any, *, lifespan: str = "off") -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a real socket) in a thread; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def unique_credentials() -> dict[str, dict[str, Any]]:
    """Sandbox kits with fresh, unmistakable secrets (so a leak of any of them can be searched for)."""
    kits: dict[str, dict[str, Any]] = {}
    for bureau in BUREAUS:
        kits[bureau] = {
            "member_id": str(SANDBOX_DEFAULTS[bureau]["member_id"]),
            "credentials": {f: f"{bureau}-{f}-{secrets.token_hex(10)}" for f in BUREAU_SECRET_FIELDS[bureau]},
        }
    return kits


def put_body(bureau: str, base: str, kit: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A PUT body configuring ``bureau`` at the simulators under ``base`` (…/simulators) with ``kit``."""
    kit = kit or SANDBOX_DEFAULTS[bureau]
    body = {
        "enabled": True,
        "endpoint_url": f"{base}/{bureau}",
        "member_id": kit["member_id"],
        "credentials": dict(kit["credentials"]),
        "timeout_ms": 2000,
    }
    body.update(overrides)
    return body


def clear_faults(sims: Any) -> None:
    for bureau in BUREAUS:
        sims[bureau].set_faults(SimulatorFaults())
