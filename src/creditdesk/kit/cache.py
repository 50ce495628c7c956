"""TTL cache of JSON values: Redis when a URL is configured, a bounded in-process dict otherwise.

Both backends store JSON text, so a value read back is always a fresh copy with the same types
whichever backend is in use (callers serialise Decimals, dates and models before ``set``).
A value that is not JSON-serialisable raises ``TypeError`` at ``set`` on both backends.

With Redis configured, :func:`make_cache` returns a :class:`FallbackCache`: when Redis errors or
times out (short socket timeouts, no client-side retries) it switches to an in-process cache at once
and leaves Redis alone for a back-off period (:class:`RedisFallback`, shared with the rate limiter),
so a dead Redis costs one failed call per back-off period, not a timeout per call. Deletes made while
Redis is away are replayed on Redis when it answers again, so an invalidation is not lost.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import redis
import structlog
from prometheus_client import Counter, Gauge
from redis.backoff import NoBackoff
from redis.retry import Retry

log = structlog.get_logger("creditdesk.redis")
T = TypeVar("T")

#: Socket connect/read timeout of every Redis call of the cache and the rate limiter (seconds).
REDIS_TIMEOUT_S = 0.25
#: How long a component stays on its in-process fallback before it tries Redis again (seconds).
REDIS_RETRY_AFTER_S = 5.0

REDIS_FALLBACK = Gauge(
    "creditdesk_redis_fallback",
    "1 while a component uses its in-process fallback because Redis failed",
    ["component"],
    multiprocess_mode="livemax",
)
REDIS_ERRORS = Counter("creditdesk_redis_errors_total", "Redis calls that failed, by component", ["component"])


def redis_client_options(timeout_s: float = REDIS_TIMEOUT_S) -> dict[str, Any]:
    """redis-py options that fail fast: short timeouts and no client-side retries.

    redis-py 6+ retries a failed command up to 10 times with back-off by default, which turns a dead
    Redis into seconds per call; the fallback below is the retry policy instead.
    """
    return {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s, "retry": Retry(NoBackoff(), 0)}


class RedisFallback:
    """Decide, call by call, whether a component talks to Redis or to its in-process fallback.

    Healthy: every call goes to Redis. The first failure switches the component to its fallback
    (logged once, ``creditdesk_redis_fallback{component}`` = 1) for ``retry_after_s``; then a single
    call probes Redis again (the others keep using the fallback meanwhile) — on success the
    component is back on Redis (logged, gauge 0), on failure it waits another period.
    ``on_recover`` runs on the probe before its own call (e.g. replaying deletes made meanwhile).
    """

    def __init__(
        self,
        component: str,
        *,
        retry_after_s: float = REDIS_RETRY_AFTER_S,
        errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError),
        on_recover: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.component = component
        self.retry_after_s = retry_after_s
        self.errors = errors
        self.on_recover = on_recover
        self._clock = clock
        self._lock = threading.Lock()
        self._degraded = False
        self._next_probe = 0.0
        #: calls that tried Redis (useful to prove that a dead Redis is not tried call by call)
        self.redis_attempts = 0
        REDIS_FALLBACK.labels(component).set(0)

    @property
    def degraded(self) -> bool:
        """True while the component uses its in-process fallback."""
        return self._degraded

    def _should_try(self) -> bool:
        if not self._degraded:
            return True
        with self._lock:
            now = self._clock()
            if not self._degraded:
                return True
            if now < self._next_probe:
                return False
            self._next_probe = now + self.retry_after_s  # this caller probes; the others stay on the fallback
            return True

    def _failed(self, exc: BaseException) -> None:
        REDIS_ERRORS.labels(self.component).inc()
        with self._lock:
            self._next_probe = self._clock() + self.retry_after_s
            if self._degraded:
                return
            self._degraded = True
        REDIS_FALLBACK.labels(self.component).set(1)
        log.warning(
            "redis unavailable; using the in-process fallback",
            component=self.component,
            error=f"{type(exc).__name__}: {exc}",
            retry_in_s=self.retry_after_s,
        )

    def _recovered(self) -> None:
        with self._lock:
            if not self._degraded:
                return
            self._degraded = False
        REDIS_FALLBACK.labels(self.component).set(0)
        log.info("redis is back; leaving the in-process fallback", component=self.component)

    def call(self, on_redis: Callable[[], T], on_fallback: Callable[[], T]) -> T:
        """Run ``on_redis`` unless Redis is known to be down (or it fails): then ``on_fallback``."""
        if self._should_try():
            probing = self._degraded
            self.redis_attempts += 1
            try:
                if probing and self.on_recover is not None:
                    self.on_recover()
                result = on_redis()
            except self.errors as exc:
                self._failed(exc)
            else:
                if probing:
                    self._recovered()
                return result
        return on_fallback()


class Cache(Protocol):
    """What every cache backend offers."""

    def get(self, key: str) -> Any | None:
        """Return the value stored under ``key``, or None when absent or expired."""

    def set(self, key: str, value: Any, ttl_s: float) -> None:
        """Store ``value`` (JSON-serialisable) under ``key`` for ``ttl_s`` seconds."""

    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it was present."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with ``prefix``; return how many were removed."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


class MemoryCache:
    """Thread-safe in-process TTL cache, bounded: the least recently used entry goes first."""

    def __init__(self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        """Return the value stored under ``key``, or None when absent or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, text = entry
            if expires_at <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        return json.loads(text)

    def set(self, key: str, value: Any, ttl_s: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_s`` seconds (a non-positive TTL stores nothing)."""
        text = _dumps(value)
        if ttl_s <= 0:
            self.delete(key)
            return
        with self._lock:
            now = self._clock()
            self._entries[key] = (now + ttl_s, text)
            self._entries.move_to_end(key)
            if len(self._entries) > self.max_entries:
                self._purge_expired(now)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it was present."""
        with self._lock:
            return self._entries.pop(key, None) is not None

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with ``prefix``; return how many were removed."""
        with self._lock:
            doomed = [k for k in self._entries if k.startswith(prefix)]
            for k in doomed:
                del self._entries[k]
            return len(doomed)

    def clear(self) -> None:
        """Remove everything."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _purge_expired(self, now: float) -> None:
        for k in [k for k, (expires_at, _) in self._entries.items() if expires_at <= now]:
            del self._entries[k]


_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


class RedisCache:
    """Redis-backed TTL cache: PSETEX (SETEX in milliseconds) of JSON text, keys under a namespace."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "creditdesk:cache:",
        client: redis.Redis | None = None,
        socket_timeout_s: float = REDIS_TIMEOUT_S,
    ) -> None:
        self._namespace = namespace
        self._redis = client or redis.Redis.from_url(
            url, decode_responses=True, **redis_client_options(socket_timeout_s)
        )

    def get(self, key: str) -> Any | None:
        """Return the value stored under ``key``, or None when absent or expired."""
        text = self._redis.get(self._namespace + key)
        return None if text is None else json.loads(text)

    def set(self, key: str, value: Any, ttl_s: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_s`` seconds (rounded up to whole milliseconds)."""
        text = _dumps(value)
        ttl_ms = int(ttl_s * 1000 + 0.999)
        if ttl_ms <= 0:
            self.delete(key)
            return
        self._redis.psetex(self._namespace + key, ttl_ms, text)

    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it was present."""
        return bool(self._redis.delete(self._namespace + key))

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with ``prefix`` (SCAN, then DEL in batches); return the count."""
        pattern = _GLOB_SPECIAL.sub(r"\\\1", self._namespace + prefix) + "*"
        removed = 0
        batch: list[str] = []
        for key in self._redis.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                removed += self._redis.delete(*batch)
                batch.clear()
        if batch:
            removed += self._redis.delete(*batch)
        return removed

    def ping(self) -> bool:
        """Tell whether Redis answers."""
        return bool(self._redis.ping())


class FallbackCache:
    """Redis while it answers, the in-process cache while it does not (see :class:`RedisFallback`).

    Values written during an outage live only in this process and are dropped when Redis returns
    (they could be stale by the next outage); deletes made during an outage are remembered and
    replayed on Redis first thing when it answers again (beyond ``max_pending_deletes`` the whole
    namespace is dropped instead), so an invalidation made while Redis was away still holds.
    """

    def __init__(
        self,
        primary: RedisCache,
        *,
        fallback: MemoryCache | None = None,
        component: str = "cache",
        retry_after_s: float = REDIS_RETRY_AFTER_S,
        max_pending_deletes: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback = fallback or MemoryCache()
        self.max_pending_deletes = max_pending_deletes
        self._pending: list[tuple[str, str]] = []  # ("key" | "prefix", value) deleted while degraded
        self._overflow = False
        self._pending_lock = threading.Lock()
        self.guard = RedisFallback(component, retry_after_s=retry_after_s, on_recover=self._replay, clock=clock)

    @property
    def degraded(self) -> bool:
        """True while reads and writes go to the in-process cache."""
        return self.guard.degraded

    def get(self, key: str) -> Any | None:
        """Return the value stored under ``key``, or None when absent or expired."""
        return self.guard.call(lambda: self.primary.get(key), lambda: self.fallback.get(key))

    def set(self, key: str, value: Any, ttl_s: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_s`` seconds."""
        self.guard.call(lambda: self.primary.set(key, value, ttl_s), lambda: self.fallback.set(key, value, ttl_s))

    def delete(self, key: str) -> bool:
        """Remove ``key`` (from both backends); return whether it was present."""
        local = self.fallback.delete(key)
        return self.guard.call(lambda: self.primary.delete(key), lambda: self._remember("key", key, local))

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with ``prefix`` (from both backends); return how many were removed."""
        local = self.fallback.delete_prefix(prefix)
        return self.guard.call(
            lambda: self.primary.delete_prefix(prefix), lambda: self._remember("prefix", prefix, local)
        )

    def _remember(self, kind: str, value: str, answer: T) -> T:
        """Note a delete Redis missed (replayed when it is back); return ``answer``, the in-process result."""
        with self._pending_lock:
            if len(self._pending) >= self.max_pending_deletes:
                self._overflow = True
                self._pending.clear()
            if not self._overflow:
                self._pending.append((kind, value))
        return answer

    def _replay(self) -> None:
        """On the first call that reaches Redis again: apply the deletes it missed, forget local values."""
        with self._pending_lock:
            pending, overflow = list(self._pending), self._overflow
        self.primary.ping()  # raises while Redis is still away: nothing below happens then
        if overflow:
            self.primary.delete_prefix("")
        for kind, value in pending:
            if kind == "key":
                self.primary.delete(value)
            else:
                self.primary.delete_prefix(value)
        with self._pending_lock:  # only now: a failure above leaves them for the next probe
            del self._pending[: len(pending)]
            if overflow:
                self._overflow = False
        self.fallback.clear()


def make_cache(redis_url: str | None = None, *, max_entries: int = 10_000) -> Cache:
    """Return a Redis cache with an in-process fallback when ``redis_url`` is given, else an in-process one."""
    if redis_url:
        return FallbackCache(RedisCache(redis_url), fallback=MemoryCache(max_entries=max_entries))
    return MemoryCache(max_entries=max_entries)
