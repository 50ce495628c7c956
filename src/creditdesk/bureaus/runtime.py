"""The process-wide resilience objects for bureau calls: breakers, rate limiter, report cache, retries.

Created once per process from the settings, on first use. With ``CREDITDESK_REDIS_URL`` the cache,
the rate-limit counters and the breaker states live in Redis, so every API process and worker shares
them; otherwise they live in this process. (Tests build fresh settings per test; a runtime built from
other settings is replaced, so no state leaks between tests.)
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from creditdesk.bureaus.pull import default_http_client
from creditdesk.config import Settings, per_settings
from creditdesk.kit.cache import Cache, make_cache
from creditdesk.kit.ratelimit import RateLimiter
from creditdesk.kit.resilience import BreakerRegistry, RetryPolicy


@dataclass
class BureauRuntime:
    """Everything a bureau call shares with the other calls of this process."""

    settings: Settings
    breakers: BreakerRegistry
    limiter: RateLimiter
    cache: Cache
    retry: RetryPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> BureauRuntime:
        """Build the runtime described by ``settings``."""
        wait_s = settings.bureau_retry_wait_ms / 1000
        return cls(
            settings=settings,
            breakers=BreakerRegistry(
                fail_max=settings.bureau_breaker_fail_max,
                reset_timeout_s=settings.bureau_breaker_reset_seconds,
                redis_url=settings.redis_url,
            ),
            limiter=RateLimiter(default_limit=settings.bureau_rate_limit, storage_url=settings.redis_url),
            cache=make_cache(settings.redis_url),
            retry=RetryPolicy(
                attempts=settings.bureau_retry_attempts,
                wait_initial_s=wait_s,
                wait_max_s=max(wait_s * 10, wait_s),
                jitter_s=wait_s,
            ),
        )

    @property
    def http_client(self) -> httpx.Client:
        """The pooled HTTP client for bureau calls."""
        return default_http_client()


#: the process-wide bureau runtime, made on first use and again when the settings object changes
get_runtime = per_settings(BureauRuntime.from_settings)
