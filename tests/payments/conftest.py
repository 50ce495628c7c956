"""A live simulated gateway (uvicorn in a thread) and a webhook receiver (a real HTTP server) per test;
the whole app (API + the mounted simulator) under uvicorn for the end-to-end webhook tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import uvicorn
from tests.servers import free_port

from creditdesk.kit.resilience import BreakerRegistry, RetryPolicy
from creditdesk.payments.gateway import GatewayConfig, PaymentGateway
from creditdesk.payments.simulator import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    GatewaySimulator,
    build_payment_simulator_app,
)


@dataclass
class Received:
    """What the receiver got: (raw body, headers) per POST, in arrival order."""

    items: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[tuple[bytes, dict[str, str]]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.items) >= count:
                    return list(self.items)
            time.sleep(0.02)
        with self.lock:
            raise AssertionError(f"expected {count} webhooks, got {len(self.items)}")

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for body, _ in self.items]


@dataclass
class Live:
    """The running simulator: its base URL, its state and the receiver."""

    url: str
    sim: GatewaySimulator
    received: Received
    receiver_url: str

    @property
    def base(self) -> str:
        return f"{self.url}/simulators/payments"

    def gateway(self, *, secret: str = SANDBOX_KEY_SECRET, attempts: int = 3, timeout_ms: int = 5000) -> PaymentGateway:
        config = GatewayConfig(
            tenant_id="t-pay",
            base_url=self.base,
            key_id=SANDBOX_KEY_ID,
            key_secret=secret,
            webhook_secret=SANDBOX_WEBHOOK_SECRET,
            timeout_ms=timeout_ms,
        )
        retry = RetryPolicy(attempts=attempts, wait_initial_s=0.01, wait_max_s=0.05, jitter_s=0.01)
        return PaymentGateway(config, retry=retry, breakers=BreakerRegistry(fail_max=50))

    def faults(self, **faults: Any) -> None:
        r = httpx.put(f"{self.base}/accounts/{SANDBOX_KEY_ID}/faults", json=faults)
        assert r.status_code == 200, r.text


def _receiver() -> tuple[ThreadingHTTPServer, Received]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with received.lock:
                received.items.append((body, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve ``app`` under uvicorn in a thread until the block ends; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_app(app: Any) -> Iterator[str]:
    """The whole app (the API and, in dev mode, the simulator at /simulators/payments) over real HTTP."""
    with running(app) as base:
        yield base


@pytest.fixture
def live() -> Iterator[Live]:
    app = build_payment_simulator_app(seed=7)
    with running(app) as url:
        yield from _with_receiver(url, app)


def _with_receiver(url: str, app: Any) -> Iterator[Live]:
    receiver, received = _receiver()
    receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    sim: GatewaySimulator = app.state.gateway
    setup = {"key_secret": SANDBOX_KEY_SECRET, "webhook_secret": SANDBOX_WEBHOOK_SECRET, "webhook_url": receiver_url}
    assert httpx.put(f"{url}/simulators/payments/accounts/{SANDBOX_KEY_ID}", json=setup).is_success
    try:
        yield Live(url, sim, received, receiver_url)
    finally:
        receiver.shutdown()
        receiver.server_close()
