"""TTL cache of JSON values: Redis when a URL is configured, a bounded in-process dict otherwise.

Both backends store JSON text, so a value read back is always a fresh copy with the same types
whichever backend is in use (callers serialise Decimals, dates and models before ``set``).
A value that is not JSON-serialisable raises ``TypeError`` at ``set`` on both backends.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import redis


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
        socket_timeout_s: float = 1.0,
    ) -> None:
        self._namespace = namespace
        self._redis = client or redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout_s,
            socket_connect_timeout=socket_timeout_s,
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


def make_cache(redis_url: str | None = None, *, max_entries: int = 10_000) -> Cache:
    """Return a Redis cache when ``redis_url`` is given, else an in-process one."""
    if redis_url:
        return RedisCache(redis_url)
    return MemoryCache(max_entries=max_entries)
