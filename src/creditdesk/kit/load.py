"""Load protection: per-tenant and per-API-key rate limits (429 + Retry-After) and a concurrency cap
that sheds excess load fast (503 + Retry-After) instead of letting latency grow without bound.

Rate-limit counters live in Redis when ``CREDITDESK_REDIS_URL`` is set (shared by every process),
in process memory otherwise (then each API process counts on its own).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import orjson
from prometheus_client import Counter, Gauge

from creditdesk.config import get_settings
from creditdesk.errors import RateLimited
from creditdesk.kit.ratelimit import RateLimiter

SHED = Counter("creditdesk_http_shed_total", "Requests refused by the concurrency cap")
IN_FLIGHT = Gauge("creditdesk_http_in_flight", "Requests being processed")
RATE_LIMITED = Counter("creditdesk_rate_limited_total", "Requests refused by a rate limit", ["scope"])

_EXEMPT = ("/healthz", "/readyz", "/metrics")


@lru_cache
def api_rate_limiter() -> RateLimiter:
    """The process-wide API rate limiter (fixed windows: O(1) per hit)."""
    settings = get_settings()
    return RateLimiter(
        default_limit=settings.rate_limit_per_tenant,
        storage_url=settings.redis_url,
        strategy="fixed-window",
        namespace="creditdesk-api",
    )


def enforce_rate_limits(*, tenant_id: str | None, api_key_id: str | None) -> None:
    """Count one request against the tenant's and the API key's limits; 429 when either is spent."""
    settings = get_settings()
    limiter = api_rate_limiter()
    checks = []
    if tenant_id:
        checks.append(("tenant", f"tenant:{tenant_id}", settings.rate_limit_per_tenant))
    if api_key_id:
        checks.append(("api_key", f"key:{api_key_id}", settings.rate_limit_per_api_key))
    for scope, key, limit in checks:
        if not limiter.hit(key, limit=limit):
            RATE_LIMITED.labels(scope).inc()
            wait = max(1, math.ceil(limiter.retry_after(key, limit=limit)))
            raise RateLimited(
                f"Rate limit of {limit} per {scope.replace('_', ' ')} exceeded; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )


class ConcurrencyLimitMiddleware:
    """Refuse requests beyond ``max_in_flight`` at once with an immediate 503 (health checks exempt)."""

    def __init__(self, app: Any, *, max_in_flight: int):
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0  # the event loop is single-threaded: no lock needed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.max_in_flight <= 0 or scope.get("path", "").startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            SHED.inc()
            body = orjson.dumps(
                {
                    "error": "ServiceUnavailable",
                    "detail": "Server is at capacity; retry shortly",
                    "request_id": scope.get("state", {}).get("request_id"),
                }
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"retry-after", b"1"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        self.in_flight += 1
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            IN_FLIGHT.dec()
