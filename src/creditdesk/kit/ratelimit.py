"""Rate limits per key on the `limits` library: in-process memory by default, Redis when configured.

Keys are free-form strings; callers namespace them, e.g. ``bureau:<tenant>:<bureau>`` now and
``tenant:<id>`` / ``api-key:<prefix>`` later. A limit is a `limits` string such as ``"60/minute"`` or
``"10 per second"``; each call may override the limiter's default.
"""

from __future__ import annotations

import time
from functools import lru_cache

import limits
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.strategies import RateLimiter as WindowStrategy


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
    ) -> None:
        self.default_limit = default_limit
        _parse(default_limit)  # fail at construction on a malformed limit, not on the first hit
        self._namespace = namespace
        self._storage = storage_from_string(storage_url or "memory://")
        strategies: dict[str, type[WindowStrategy]] = {
            "moving-window": MovingWindowRateLimiter,
            "fixed-window": FixedWindowRateLimiter,
        }
        if strategy not in strategies:
            raise ValueError(f"unknown rate-limit strategy {strategy!r}; use one of {sorted(strategies)}")
        self._limiter = strategies[strategy](self._storage)

    def _item(self, limit: str | None) -> limits.RateLimitItem:
        return _parse(limit or self.default_limit)

    def hit(self, key: str, *, limit: str | None = None) -> bool:
        """Record one hit for ``key``; return False (and record nothing) when the limit is reached."""
        return self._limiter.hit(self._item(limit), self._namespace, key)

    def test(self, key: str, *, limit: str | None = None) -> bool:
        """Tell whether a hit for ``key`` would be allowed, without recording one."""
        return self._limiter.test(self._item(limit), self._namespace, key)

    def remaining(self, key: str, *, limit: str | None = None) -> int:
        """Return how many hits ``key`` has left in the current window."""
        return self._limiter.get_window_stats(self._item(limit), self._namespace, key).remaining

    def retry_after(self, key: str, *, limit: str | None = None) -> float:
        """Return seconds until ``key`` may hit again (0 when it may hit now)."""
        stats = self._limiter.get_window_stats(self._item(limit), self._namespace, key)
        if stats.remaining > 0:
            return 0.0
        return max(0.0, stats.reset_time - time.time())

    def clear(self, key: str, *, limit: str | None = None) -> None:
        """Forget the hits recorded for ``key``."""
        self._limiter.clear(self._item(limit), self._namespace, key)
