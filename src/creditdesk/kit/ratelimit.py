"""Rate limits per key on the `limits` library: in-process memory by default, Redis when configured.

Keys are free-form strings; callers namespace them, e.g. ``bureau:<tenant>:<bureau>`` now and
``tenant:<id>`` / ``api-key:<prefix>`` later. A limit is a `limits` string such as ``"60/minute"`` or
``"10 per second"``; each call may override the limiter's default.

With Redis, the counters fall back to process memory when Redis errors or times out (0.25 s socket
timeouts, no client retries) and Redis is left alone for a back-off period before one call probes it
again (:class:`creditdesk.kit.cache.RedisFallback`): ``hit`` runs on the event loop for every API
request, so a dead Redis must cost at most one short failed call per back-off period, not one per
request. Meanwhile each process enforces the limits on its own counts (with N processes a client may
get up to N times the limit); ``creditdesk_redis_fallback{component="rate_limit:<namespace>"}`` is 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import limits
import redis
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.strategies import RateLimiter as WindowStrategy

from creditdesk.kit.cache import REDIS_RETRY_AFTER_S, REDIS_TIMEOUT_S, RedisFallback, redis_client_options

T = TypeVar("T")


@lru_cache(maxsize=256)
def _parse(limit: str) -> limits.RateLimitItem:
    return limits.parse(limit)


class RateLimiter:
    """Count hits per key against a limit; a moving window by default (no burst at window edges)."""

    def __init__(
        self,
        *,
        default_limit: str = "60/minute",
        storage_url: str | None = None,
        strategy: str = "moving-window",
        namespace: str = "creditdesk",
        timeout_s: float = REDIS_TIMEOUT_S,
        retry_after_s: float = REDIS_RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default_limit = default_limit
        _parse(default_limit)  # fail at construction on a malformed limit, not on the first hit
        self._namespace = namespace
        strategies: dict[str, type[WindowStrategy]] = {
            "moving-window": MovingWindowRateLimiter,
            "fixed-window": FixedWindowRateLimiter,
        }
        if strategy not in strategies:
            raise ValueError(f"unknown rate-limit strategy {strategy!r}; use one of {sorted(strategies)}")
        self._memory = strategies[strategy](MemoryStorage())
        self._shared: WindowStrategy | None = None
        self.guard: RedisFallback | None = None
        if storage_url and not storage_url.startswith("memory"):
            options = redis_client_options(timeout_s) if storage_url.startswith(("redis", "rediss")) else {}
            storage = storage_from_string(storage_url, wrap_exceptions=True, **options)
            self._shared = strategies[strategy](storage)
            self.guard = RedisFallback(
                f"rate_limit:{namespace}",
                retry_after_s=retry_after_s,
                errors=(StorageError, redis.RedisError, OSError),
                clock=clock,
            )

    @property
    def degraded(self) -> bool:
        """True while a shared (Redis) limiter counts in process memory because Redis failed."""
        return self.guard is not None and self.guard.degraded

    def _run(self, fn: Callable[[WindowStrategy], T]) -> T:
        if self._shared is None or self.guard is None:
            return fn(self._memory)
        shared = self._shared
        return self.guard.call(lambda: fn(shared), lambda: fn(self._memory))

    def _item(self, limit: str | None) -> limits.RateLimitItem:
        return _parse(limit or self.default_limit)

    def hit(self, key: str, *, limit: str | None = None) -> bool:
        """Record one hit for ``key``; return False (and record nothing) when the limit is reached."""
        item = self._item(limit)
        return self._run(lambda s: s.hit(item, self._namespace, key))

    def test(self, key: str, *, limit: str | None = None) -> bool:
        """Tell whether a hit for ``key`` would be allowed, without recording one."""
        item = self._item(limit)
        return self._run(lambda s: s.test(item, self._namespace, key))

    def remaining(self, key: str, *, limit: str | None = None) -> int:
        """Return how many hits ``key`` has left in the current window."""
        item = self._item(limit)
        return self._run(lambda s: s.get_window_stats(item, self._namespace, key).remaining)

    def retry_after(self, key: str, *, limit: str | None = None) -> float:
        """Return seconds until ``key`` may hit again (0 when it may hit now)."""
        item = self._item(limit)
        stats = self._run(lambda s: s.get_window_stats(item, self._namespace, key))
        if stats.remaining > 0:
            return 0.0
        return max(0.0, stats.reset_time - time.time())

    def clear(self, key: str, *, limit: str | None = None) -> None:
        """Forget the hits recorded for ``key`` (in Redis and in this process)."""
        item = self._item(limit)
        self._memory.clear(item, self._namespace, key)
        if self._shared is not None:
            self._run(lambda s: s.clear(item, self._namespace, key))
