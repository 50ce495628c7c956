"""TTL cache: the in-process and Redis backends keep the same contract."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis

from creditdesk.kit.cache import Cache, MemoryCache, RedisCache, make_cache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _redis_url() -> str:
    url = os.environ.get("CREDITDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:
        if os.environ.get("CREDITDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis not reachable at {url}: {exc} (CREDITDESK_REQUIRE_SERVICES=1)")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "memory":
        yield MemoryCache()
        return
    namespace = f"creditdesk-test:{uuid.uuid4().hex}:"
    backend = RedisCache(_redis_url(), namespace=namespace)
    yield backend
    backend.delete_prefix("")


def test_a_value_round_trips_as_json_and_is_a_fresh_copy(cache: Cache) -> None:
    value = {"score": 742, "utilization": 0.42, "accounts": [{"balance": "120000.50"}], "hit": True}
    cache.set("report:1", value, ttl_s=60)
    got = cache.get("report:1")
    assert got == value
    got["score"] = 1  # type: ignore[index]
    assert cache.get("report:1")["score"] == 742  # type: ignore[index]


def test_missing_keys_read_as_none(cache: Cache) -> None:
    assert cache.get("nothing-here") is None
    assert cache.delete("nothing-here") is False


def test_delete_removes_one_key(cache: Cache) -> None:
    cache.set("a", 1, 60)
    cache.set("b", 2, 60)
    assert cache.delete("a") is True
    assert cache.get("a") is None
    assert cache.get("b") == 2


def test_delete_prefix_removes_only_matching_keys(cache: Cache) -> None:
    cache.set("bureau-report:t1:cibil:x", 1, 60)
    cache.set("bureau-report:t1:crif:y", 2, 60)
    cache.set("bureau-report:t10:cibil:x", 3, 60)
    cache.set("other", 4, 60)
    assert cache.delete_prefix("bureau-report:t1:") == 2
    assert cache.get("bureau-report:t1:cibil:x") is None
    assert cache.get("bureau-report:t10:cibil:x") == 3
    assert cache.get("other") == 4


def test_glob_characters_in_a_prefix_are_literal(cache: Cache) -> None:
    cache.set("t[1]*:a", 1, 60)
    cache.set("t1x:a", 2, 60)
    assert cache.delete_prefix("t[1]*:") == 1
    assert cache.get("t1x:a") == 2


def test_values_must_be_json(cache: Cache) -> None:
    from decimal import Decimal

    with pytest.raises(TypeError):
        cache.set("k", {"amount": Decimal("1.5")}, 60)
    with pytest.raises(ValueError):
        cache.set("k", float("nan"), 60)


@pytest.mark.redis
def test_redis_entries_expire() -> None:
    import time

    backend = RedisCache(_redis_url(), namespace=f"creditdesk-test:{uuid.uuid4().hex}:")
    backend.set("short", "v", ttl_s=0.05)
    assert backend.get("short") == "v"
    time.sleep(0.12)
    assert backend.get("short") is None


def test_memory_entries_expire_after_their_ttl() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    cache.set("k", "v", ttl_s=10)
    clock.now += 9.9
    assert cache.get("k") == "v"
    clock.now += 0.2
    assert cache.get("k") is None
    assert len(cache) == 0


def test_memory_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = MemoryCache(max_entries=3)
    for key in ("a", "b", "c"):
        cache.set(key, key, 60)
    assert cache.get("a") == "a"  # a is now the most recently used
    cache.set("d", "d", 60)
    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(k) for k in ("a", "c", "d")] == ["a", "c", "d"]


def test_memory_cache_evicts_expired_entries_before_live_ones() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_entries=2, clock=clock)
    cache.set("old", 1, ttl_s=1)
    cache.set("live", 2, ttl_s=100)
    clock.now += 5
    cache.set("new", 3, ttl_s=100)
    assert cache.get("live") == 2
    assert cache.get("new") == 3


def test_memory_cache_survives_concurrent_use() -> None:
    cache = MemoryCache(max_entries=50)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(300):
                cache.set(f"{worker}:{i}", i, 60)
                cache.get(f"{worker}:{i - 1}")
                if i % 50 == 0:
                    cache.delete_prefix(f"{worker}:")
        except BaseException as exc:  # pragma: no cover - the assertion reports it
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) <= 50


def test_make_cache_picks_the_backend() -> None:
    assert isinstance(make_cache(None), MemoryCache)
    assert isinstance(make_cache("redis://127.0.0.1:6379/0"), RedisCache)
