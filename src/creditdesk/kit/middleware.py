"""ASGI middleware: request ids, security headers, body limits (size, JSON depth), request metrics and access logs.

Pure ASGI (not BaseHTTPMiddleware) to keep the decision path fast and streaming intact.
"""

from __future__ import annotations

import re
import time
from typing import Any

import orjson
import structlog
from prometheus_client import Counter, Histogram

from creditdesk.db import new_hex_id
from creditdesk.errors import AppError, BadRequest, PayloadTooLarge
from creditdesk.kit.jsonlimits import MAX_DEPTH, TooDeep, check_depth
from creditdesk.kit.logging import bind_request_scope, unbind_request_scope
from creditdesk.kit.observability import begin_request_trace

HTTP_LATENCY = Histogram(
    "creditdesk_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.08, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HTTP_REQUESTS = Counter(
    "creditdesk_http_requests_total", "HTTP requests by route template", ["method", "route", "status"]
)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_NO_CSP_PREFIXES = ("/docs", "/redoc", "/embed/")
_log = structlog.get_logger("creditdesk.access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
APP_CSP = (
    b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; connect-src 'self'; frame-src 'self' https:; frame-ancestors 'none'; base-uri 'none'"
)


class RequestContextMiddleware:
    """Give every request an id, bound its body, add security headers, and measure it."""

    def __init__(self, app: Any, *, max_body_bytes: int, max_upload_bytes: int):
        self.app = app
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else new_hex_id()
        scope.setdefault("state", {})["request_id"] = request_id
        begin_request_trace(headers.get(b"traceparent"))
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope_token = bind_request_scope(scope)  # tenant routes name their tenant on every line

        limit = self.max_upload if headers.get(b"content-type", b"").startswith(b"multipart/") else self.max_body
        declared = headers.get(b"content-length")
        received = 0

        async def bounded_receive() -> dict[str, Any]:
            nonlocal received
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"Request body exceeds the limit of {limit:,} bytes")
            return message

        status_holder = {"status": 500}
        path = scope.get("path", "")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                extra = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
                if not path.startswith(_NO_CSP_PREFIXES):
                    extra.append((b"content-security-policy", APP_CSP))
                    extra.append((b"x-frame-options", b"DENY"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        start = time.perf_counter()
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await _send_too_large(send_with_headers, request_id, limit)
                return
            await self.app(scope, bounded_receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - start
            template = route_template(scope)
            status = str(status_holder["status"])
            HTTP_LATENCY.labels(scope["method"], template, status).observe(elapsed)
            HTTP_REQUESTS.labels(scope["method"], template, status).inc()
            state = scope.get("state", {})
            principal = state.get("principal")
            _log.info(
                "request",
                method=scope["method"],
                route=template,
                status=status_holder["status"],
                duration_ms=round(elapsed * 1000, 2),
                tenant=getattr(principal, "tenant_slug", None),
                user=getattr(principal, "id", None),
            )
            structlog.contextvars.clear_contextvars()
            unbind_request_scope(scope_token)


def route_template(scope: dict[str, Any]) -> str:
    """Return the matched route's template (``/api/v1/tenants/{tenant}/users/{user_id}``), never raw ids."""
    if scope.get("route") is None:
        return "<unmatched>"
    params = list((scope.get("path_params") or {}).items())
    segments = scope.get("path", "").split("/")
    i = 0
    for n, segment in enumerate(segments):
        if i < len(params) and segment == str(params[i][1]):
            segments[n] = "{" + params[i][0] + "}"
            i += 1
    return "/".join(segments)


async def _send_too_large(send: Any, request_id: str, limit: int) -> None:
    detail = f"Request body exceeds the limit of {limit:,} bytes"
    await send_error(send, {"state": {"request_id": request_id}}, PayloadTooLarge(detail))


async def send_error(send: Any, scope: dict[str, Any], error: AppError) -> None:
    """Send the one error shape from middleware, which runs outside the app's error handler."""
    request_id = (scope.get("state") or {}).get("request_id")
    body = orjson.dumps({"error": error.name, "detail": error.message, "request_id": request_id})
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


_JSON_TYPE = re.compile(rb"^application/(?:[\w.+-]*\+)?json\s*(?:;|$)", re.IGNORECASE)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class JsonDepthMiddleware:
    """Answer 400 to a JSON request body nested deeper than the limit, before any route parses it.

    Only bodies declared as JSON are buffered (``max_body_bytes`` already bounds them); uploads and
    forms stream through untouched — their JSON files are read with ``kit.jsonlimits.loads``.
    """

    def __init__(self, app: Any, *, max_depth: int = MAX_DEPTH):
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS or not _declares_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            try:
                check_depth(body, self.max_depth)
            except TooDeep as exc:
                raise BadRequest(f"Request body: {exc}") from None
        except AppError as exc:  # too deep, or too large (raised by the size bound's receive)
            await send_error(send, scope, exc)
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            message: dict[str, Any] = await receive()
            return message

        await self.app(scope, replay, send)


def _declares_json(scope: dict[str, Any]) -> bool:
    """A JSON content type, or none at all (FastAPI then reads a body as JSON)."""
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return bool(_JSON_TYPE.match(value.strip()))
    return True
