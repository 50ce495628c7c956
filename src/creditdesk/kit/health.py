"""A health listener on its own port and thread, answered even while the event loop is saturated.

``/healthz`` on the main port shares the event loop with every other connection: under thousands of
busy connections one turn of the loop can take longer than a probe's timeout, and an orchestrator
would restart a process that is working fine. With ``CREDITDESK_HEALTH_PORT`` set, each API process
also answers ``GET /healthz`` (liveness) and ``GET /readyz`` (readiness: database, broker, Redis) on
that port from a small threaded HTTP server. Worker processes share the port (``SO_REUSEPORT``).
It also answers ``GET /metrics``: a port of its own (loopback by default) is where production
scrapes metrics without a token, since they name tenants (see ``metrics_token`` in ``config.py``).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

log = structlog.get_logger("creditdesk.health")

ReadyCheck = Callable[[], tuple[int, dict[str, Any]]]  # (status code, body), as /readyz answers
Metrics = Callable[[], tuple[bytes, str]]  # (Prometheus text, its content type), as /metrics answers


class _ReusePortServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        if hasattr(socket, "SO_REUSEPORT"):
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def _handler(ready: ReadyCheck, metrics: Metrics | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
            if self.path == "/metrics" and metrics is not None:
                self._send(200, *metrics())
                return
            if self.path == "/healthz":
                status, body = 200, {"status": "ok"}
            elif self.path == "/readyz":
                status, body = ready()
            else:
                detail = "Only /healthz, /readyz and /metrics are served here"
                status, body = 404, {"error": "NotFound", "detail": detail}
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - probes are not access-logged
            return

    return Handler


class HealthServer:
    """``/healthz``, ``/readyz`` (and ``/metrics`` when given) on ``host:port`` from a daemon thread."""

    def __init__(self, host: str, port: int, ready: ReadyCheck, metrics: Metrics | None = None):
        self._server = _ReusePortServer((host, port), _handler(ready, metrics))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("health listener", port=self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
