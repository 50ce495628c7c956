"""Load protection: per-tenant and per-API-key rate limits (429 + Retry-After) and a concurrency cap
with a bounded wait queue in front of it: excess requests wait their turn, and only beyond the
queue are they refused fast (503 + Retry-After) instead of letting latency grow without bound.

Rate-limit counters live in Redis when ``CREDITDESK_REDIS_URL`` is set (shared by every process),
in process memory otherwise (then each API process counts on its own).
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from functools import lru_cache
from typing import Any

import orjson
from prometheus_client import Counter, Gauge

from creditdesk.config import get_settings
from creditdesk.errors import RateLimited
from creditdesk.kit.ratelimit import RateLimiter

SHED = Counter("creditdesk_http_shed_total", "Requests refused by the concurrency cap")
IN_FLIGHT = Gauge("creditdesk_http_in_flight", "Requests being processed", multiprocess_mode="livesum")
QUEUED = Gauge("creditdesk_http_queued", "Requests waiting for admission", multiprocess_mode="livesum")
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


class AdmissionMiddleware:
    """Admit at most ``max_in_flight`` requests at once; queue up to ``max_queue`` more (FIFO); refuse the rest.

    A queued request waits without a thread (an asyncio future) until a slot frees or ``queue_timeout``
    passes; only when the queue is full (or the wait times out) does it get ``503`` + ``Retry-After``,
    from a pre-rendered body, so a process under a flood spends almost nothing on what it refuses and
    keeps deciding at its capacity. Health and metrics endpoints are never queued.
    """

    def __init__(self, app: Any, *, max_in_flight: int, max_queue: int, queue_timeout: float = 10.0):
        self.app = app
        self.max_in_flight = max_in_flight
        self.max_queue = max_queue
        self.queue_timeout = queue_timeout
        self.in_flight = 0  # the event loop is single-threaded: no lock needed
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.max_in_flight <= 0 or scope.get("path", "").startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            if len(self._waiters) >= self.max_queue or not await self._wait_for_slot():
                SHED.inc()
                await send(_SHED_START)
                await send(_SHED_BODY)
                return
        else:
            self.in_flight += 1
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            IN_FLIGHT.dec()
            self._release()

    async def _wait_for_slot(self) -> bool:
        """Queue for a slot; True once one was handed over (it is already counted in ``in_flight``)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        QUEUED.inc()
        try:
            await asyncio.wait_for(waiter, self.queue_timeout)  # returns the slot if it won the race
            return True
        except TimeoutError:
            return False
        except asyncio.CancelledError:  # the client went away: a slot already handed over is passed on
            if waiter.done() and not waiter.cancelled():
                self._release()
            raise
        finally:
            QUEUED.dec()
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _release(self) -> None:
        """Hand the freed slot to the oldest waiter, or give it back."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # in_flight stays: the slot moves to the waiter
                return
        self.in_flight -= 1


_SHED_BODY_BYTES = orjson.dumps(
    {"error": "ServiceUnavailable", "detail": "Server is at capacity; retry shortly", "request_id": None}
)
_SHED_START = {
    "type": "http.response.start",
    "status": 503,
    "headers": [
        (b"content-type", b"application/json"),
        (b"retry-after", b"1"),
        (b"content-length", str(len(_SHED_BODY_BYTES)).encode()),
    ],
}
_SHED_BODY = {"type": "http.response.body", "body": _SHED_BODY_BYTES}
